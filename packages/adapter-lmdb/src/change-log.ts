import type { ChangeSet, CommitWrite } from "@statehouse/core";
import type { Environment } from "./environment.js";
import { LOG_SEQUENCE, logKey, sequenceOfLogKey } from "./keys.js";

// The LMDB adapter's change log: one entry per committed transaction in the `log` database, keyed
// by its sequence number, and the current sequence number under LOG_SEQUENCE. Everything here runs
// inside the caller's LMDB transaction (a write transaction for appendChangeSet).

type Log = Environment["log"];

/** Change sets past the retention are deleted every this many commits. */
const LOG_SWEEP_EVERY = 64;

interface StoredChangeSet {
  at: string;
  c: Array<[0 | 1, string, string, number]>;
}

/** The sequence number of the last committed transaction (0 for a new store). */
export function readSequence(log: Log): number {
  const raw = log.getBinaryFast(LOG_SEQUENCE);
  return raw === undefined || raw.length < 8 ? 0 : Buffer.from(raw.buffer, raw.byteOffset, 8).readDoubleLE(0);
}

/**
 * Writes the change set of `writes` under `sequence` and makes `sequence` the current one. Sweeps
 * change sets past the retention on every LOG_SWEEP_EVERY-th commit, or now when `sweepNow`;
 * returns whether it swept.
 */
export function appendChangeSet(log: Log, writes: readonly CommitWrite[], sequence: number, retention: number, sweepNow: boolean): boolean {
  const entry: StoredChangeSet = {
    at: new Date().toISOString(),
    c: writes.map((w) => [w.type === "put" ? 1 : 0, w.collection, w.id, w.revision]),
  };
  log.put(logKey(sequence), Buffer.from(JSON.stringify(entry)));
  // `changes()` serves the last `changeRetention` change sets; older ones are deleted every
  // LOG_SWEEP_EVERY commits, together (deleting one per commit dirtied an old leaf page in every
  // commit: a quarter of a relaxed write). The first commit of each adapter sweeps too (the
  // retention may have been larger when they were written).
  const drop = sequence - retention;
  let swept = false;
  if (drop > 0 && (sweepNow || sequence % LOG_SWEEP_EVERY === 0)) {
    for (const key of log.getKeys({ start: logKey(0), end: logKey(drop + 1) })) log.remove(key as Buffer);
    swept = true;
  }
  const seq = Buffer.alloc(8);
  seq.writeDoubleLE(sequence, 0);
  log.put(LOG_SEQUENCE, seq);
  return swept;
}

/** Retention: removes the change sets up to `through`, never the latest (inside the caller's write transaction); returns how many. */
export function trimLog(log: Log, through: number): number {
  const upTo = Math.min(Math.floor(through), readSequence(log) - 1);
  if (!(upTo >= 1)) return 0;
  let n = 0;
  for (const key of log.getKeys({ start: logKey(0), end: logKey(upTo + 1) })) {
    log.remove(key as Buffer);
    n++;
  }
  return n;
}

/** At most `limit` change sets after `since`, oldest first, within the retention. */
export function readChanges(log: Log, since: number, limit: number, retention: number): ChangeSet[] {
  const out: ChangeSet[] = [];
  if (limit <= 0) return out;
  // Change sets past the retention may still be stored until the next sweep: not served.
  const oldest = readSequence(log) - retention + 1;
  const start = logKey(Math.max(0, Math.floor(since) + 1, oldest));
  for (const { key, value } of log.getRange({ start, end: LOG_SEQUENCE, limit })) {
    const stored = JSON.parse(Buffer.from(value).toString("utf8")) as StoredChangeSet;
    out.push({
      sequence: sequenceOfLogKey(key),
      at: stored.at,
      changes: stored.c.map(([t, collection, id, revision]) => ({ type: t === 1 ? "put" : "delete", collection, id, revision })),
    });
  }
  return out;
}

/**
 * `importChanges` inside the caller's write transaction: removes every change set (the copy's own),
 * writes `sets` under their sequences and makes the last one the current sequence.
 */
export function replaceLog(log: Log, sets: readonly ChangeSet[]): void {
  for (const key of log.getKeys({ start: logKey(0), end: LOG_SEQUENCE })) log.remove(key as Buffer);
  for (const set of sets) {
    const entry: StoredChangeSet = { at: set.at, c: set.changes.map((e) => [e.type === "put" ? 1 : 0, e.collection, e.id, e.revision]) };
    log.put(logKey(set.sequence), Buffer.from(JSON.stringify(entry)));
  }
  const seq = Buffer.alloc(8);
  seq.writeDoubleLE(sets[sets.length - 1]!.sequence, 0);
  log.put(LOG_SEQUENCE, seq);
}
