import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { IntegrityReport } from "@statehouse/core";
import { readFileNoFollow, unlinkQuietly, writeNewFile } from "./atomic-file.js";
import { FrameError } from "./framed.js";
import { FOLDED_NAME, HISTORY_NAME, type Layout, SEGMENT_NAME, WAL_NAME } from "./layout.js";
import { mapEngineError } from "./map-engine-error.js";
import { moveToQuarantine } from "./quarantine.js";
import { decodeCommit, decodeHistory, decodeSegment, decodeStoreFile, encodeLostCommit, encodeStoreFile } from "./records.js";
import type { StoreView } from "./store-view.js";
import { sweepTemporaryFiles } from "./sweep.js";

export interface CheckOptions {
  repair: boolean;
  durable: boolean;
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw mapEngineError(err, `listing ${dir}`);
  }
}

/** undefined: the file is gone; a string: why it is corrupt; null: it is sound. */
function verify(file: string, decode: (buf: Buffer) => unknown): { buf?: Buffer; problem: string | null } | undefined {
  let buf: Buffer | undefined;
  try {
    buf = readFileNoFollow(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP") return { problem: "a symbolic link, not a data file" };
    throw mapEngineError(err, `reading ${file}`);
  }
  if (buf === undefined) return undefined;
  try {
    decode(buf);
    return { buf, problem: null };
  } catch (err) {
    if (err instanceof FrameError) return { buf, problem: err.message };
    throw err;
  }
}

/**
 * Verifies every file of the store and, with `repair` (under the write lock), quarantines what is
 * corrupt and restores it: a data file from its identical copy (no loss), a commit file that has
 * no copy by an empty placeholder (its writes are lost, and the report says so), a history file by
 * nothing (those change sets are lost). Nothing is ever reset silently: every loss is a line in
 * `repaired`.
 */
export function checkStore(layout: Layout, view: StoreView, options: CheckOptions): IntegrityReport {
  const problems: string[] = [];
  const repaired: string[] = [];
  const { repair, durable } = options;

  const store = verify(layout.storeFile, decodeStoreFile);
  if (store === undefined || store.problem !== null) {
    problems.push(`${layout.storeFile}: ${store?.problem ?? "missing"}`);
    if (repair) {
      if (store !== undefined) moveToQuarantine(layout, layout.storeFile, store.buf);
      writeNewFile(layout.storeFile, encodeStoreFile(), durable);
      repaired.push(`${layout.storeFile}: rewritten (it holds no data)`);
    }
  }

  let folded = 0;
  const walNames = names(layout.walDir);
  for (const name of walNames) {
    const f = FOLDED_NAME.exec(name);
    if (f !== null) folded = Math.max(folded, Number(f[1]));
  }
  for (const name of walNames) {
    const m = WAL_NAME.exec(name);
    if (m === null) continue;
    const seq = Number(m[1]);
    const file = join(layout.walDir, name);
    const r = verify(file, (buf) => decodeCommit(buf, seq));
    if (r === undefined || r.problem === null) continue;
    problems.push(`${file}: ${r.problem}`);
    if (!repair) continue;
    const quarantined = moveToQuarantine(layout, file, r.buf);
    if (seq > folded) {
      writeNewFile(file, encodeLostCommit(seq, quarantined), durable);
      repaired.push(`${file}: replaced by an empty commit; the writes of commit ${seq} are lost (quarantined as ${quarantined})`);
    } else {
      writeNewFile(file, encodeLostCommit(seq, quarantined), durable);
      repaired.push(`${file}: commit ${seq} was already folded into data/ (nothing lost; quarantined as ${quarantined})`);
    }
  }

  for (const collection of names(layout.dataDir)) {
    const dir = layout.collectionDir(collection);
    const versions = new Map<string, { bucket: number; seq: number }>();
    const all = names(dir);
    for (const name of all) {
      const m = SEGMENT_NAME.exec(name);
      if (m === null) continue;
      const seq = Number(m[2]);
      // Beyond the fold point: an unfinished (or running) fold's output, which no reader uses.
      if (seq > folded) continue;
      versions.set(`${m[1]}-${m[2]}`, { bucket: Number.parseInt(m[1]!, 16), seq });
    }
    const newest = new Map<number, number>();
    for (const v of versions.values()) newest.set(v.bucket, Math.max(newest.get(v.bucket) ?? 0, v.seq));
    for (const { bucket, seq } of versions.values()) {
      if (seq !== newest.get(bucket)) {
        // Superseded: a fold that was interrupted while removing it. Readers never use it.
        if (repair) {
          unlinkQuietly(layout.segmentFile(collection, bucket, seq, false));
          unlinkQuietly(layout.segmentFile(collection, bucket, seq, true));
        }
        continue;
      }
      const primary = layout.segmentFile(collection, bucket, seq, false);
      const copy = layout.segmentFile(collection, bucket, seq, true);
      const decode = (buf: Buffer) => decodeSegment(buf, collection, bucket, seq);
      const p = verify(primary, decode);
      const c = verify(copy, decode);
      const pOk = p !== undefined && p.problem === null;
      const cOk = c !== undefined && c.problem === null;
      if (pOk && cOk) continue;
      if (pOk && !cOk) {
        problems.push(`${copy}: ${c?.problem ?? "missing"} (the last good copy of ${primary})`);
        if (repair) {
          if (c !== undefined) moveToQuarantine(layout, copy, c.buf);
          writeNewFile(copy, p.buf!, durable);
          repaired.push(`${copy}: rewritten from ${primary}`);
        }
      } else if (!pOk && cOk) {
        problems.push(`${primary}: ${p?.problem ?? "missing"}`);
        if (repair) {
          if (p !== undefined) moveToQuarantine(layout, primary, p.buf);
          writeNewFile(primary, c.buf!, durable);
          repaired.push(`${primary}: restored from its last good copy ${copy}`);
        }
      } else {
        problems.push(`${primary}: ${p?.problem ?? "missing"}, and its copy: ${c?.problem ?? "missing"}`);
        if (repair) {
          const q1 = p === undefined ? "-" : moveToQuarantine(layout, primary, p.buf);
          const q2 = c === undefined ? "-" : moveToQuarantine(layout, copy, c.buf);
          repaired.push(
            `${primary}: both copies corrupt (quarantined as ${q1} and ${q2}); the records of ${collection} bucket ${bucket} as of commit ${seq} are lost, except what later commits rewrote`,
          );
        }
      }
    }
  }

  for (const name of names(layout.historyDir)) {
    if (!HISTORY_NAME.test(name)) continue;
    const file = join(layout.historyDir, name);
    const r = verify(file, decodeHistory);
    if (r === undefined || r.problem === null) continue;
    problems.push(`${file}: ${r.problem}`);
    if (repair) {
      const quarantined = moveToQuarantine(layout, file, r.buf);
      repaired.push(`${file}: removed; these change sets are no longer listed by changes() (quarantined as ${quarantined})`);
    }
  }

  // Leftovers of crashed writers are not problems, only litter.
  sweepTemporaryFiles(layout);
  if (repair) view.reload();
  return { ok: problems.length === 0, problems, repaired };
}
