import { type IntegrityReport, isStatehouseError } from "@statehouse/core";
import { type Environment, writeTransaction } from "./environment.js";
import { mapEngineError } from "./map-engine-error.js";
import { LOG_SEQUENCE, decodeIndexKey, indexKey, sequenceOfLogKey, splitRecordKey } from "./keys.js";
import { decodeRecord, indexOfRecord } from "./record-codec.js";
import { verifyEnvironmentFile } from "./verify.js";

const MAX_PROBLEMS = 100;

/**
 * The full integrity check: first the page structure of data.mdb (in JS, so that a damaged tree
 * is reported instead of crashing LMDB), then, through LMDB, every record (checksum and JSON),
 * index entries against records both ways, and the retained change log (consecutive, ending at
 * the store's sequence). With `repair`, index entries are rebuilt from the records.
 */
export async function checkStore(env: Environment, repair: boolean): Promise<IntegrityReport> {
  const problems: string[] = [];
  const repaired: string[] = [];
  const add = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  // Pin a snapshot so that no page reachable from the newest meta is reused while we read the file.
  env.root.resetReadTxn();
  const txn = env.root.useReadTransaction();
  try {
    for (const p of verifyEnvironmentFile(env.file)) add(p);
    if (problems.length > 0) return { ok: false, problems, repaired };
    const wanted = new Set<string>();
    for (const { key, value } of env.records.getRange({ transaction: txn })) {
      const name = splitRecordKey(key);
      if (name === undefined) {
        add(`${env.file}: malformed record key ${Buffer.from(key).toString("hex")}`);
        continue;
      }
      try {
        decodeRecord(name.collection, name.id, value, env.file);
        for (const [index, k] of Object.entries(indexOfRecord(value, env.file))) {
          wanted.add(indexKey(name.collection, index, k, name.id).toString("latin1"));
        }
      } catch (err) {
        add(isStatehouseError(err) ? err.message : `${env.file}: ${name.collection}/${name.id}: ${(err as Error).message}`);
      }
    }
    const dangling: Buffer[] = [];
    for (const key of env.index.getKeys({ transaction: txn })) {
      const k = Buffer.from(key as Buffer);
      const entry = decodeIndexKey(k);
      if (entry === undefined || !wanted.delete(k.toString("latin1"))) {
        dangling.push(k);
        if (!repair)
          add(
            `${env.file}: index entry ${entry === undefined ? k.toString("hex") : `${entry.collection}/${entry.name}=${entry.key} → ${entry.id}`} has no matching record`,
          );
      }
    }
    const missing = [...wanted].map((k) => Buffer.from(k, "latin1"));
    if (!repair) {
      for (const k of missing) {
        const e = decodeIndexKey(k);
        add(`${env.file}: record ${e?.collection}/${e?.id} is missing its index entry ${e?.name}=${e?.key}`);
      }
    }
    let previous: number | undefined;
    for (const { key, value } of env.log.getRange({ transaction: txn, end: LOG_SEQUENCE })) {
      const seq = sequenceOfLogKey(key);
      if (previous !== undefined && seq !== previous + 1) add(`${env.file}: change log gap between ${previous} and ${seq}`);
      previous = seq;
      try {
        const parsed = JSON.parse(Buffer.from(value).toString("utf8")) as { at?: unknown; c?: unknown };
        if (typeof parsed.at !== "string" || !Array.isArray(parsed.c)) throw new Error("not a change set");
      } catch {
        add(`${env.file}: change set ${seq} is unreadable`);
      }
    }
    const raw = env.log.get(LOG_SEQUENCE, { transaction: txn }) as Buffer | undefined;
    const sequence = raw === undefined ? 0 : raw.readDoubleLE(0);
    if (previous !== undefined && previous !== sequence)
      add(`${env.file}: the change log ends at ${previous}, the sequence is ${sequence}`);
    if (previous === undefined && sequence !== 0) add(`${env.file}: the sequence is ${sequence} but the change log is empty`);
    if (repair && (dangling.length > 0 || missing.length > 0)) {
      writeTransaction(env, () => {
        for (const k of dangling) env.index.remove(k);
        for (const k of missing) env.index.put(k, Buffer.alloc(0));
      });
      if (dangling.length > 0) repaired.push(`${env.file}: removed ${dangling.length} index entries without a record`);
      if (missing.length > 0) repaired.push(`${env.file}: restored ${missing.length} missing index entries`);
    }
    return { ok: problems.length === 0, problems, repaired };
  } catch (err) {
    const mapped = mapEngineError(err, "checking the store", env.file);
    add(mapped.message);
    return { ok: false, problems, repaired };
  } finally {
    txn.done();
  }
}
