import { type ChangeEntry, type ChangeSet, type CommitWrite, CorruptError } from "@statehouse/core";
import { changeCrc } from "./checksum.js";
import type { Statements } from "./statements.js";

// The SQLite adapter's change log: one `changes` row per committed transaction, keyed by its
// sequence number, with a checksum over (seq, at, entries). Everything here runs on the caller's
// connection; appendChangeSet inside its write transaction.

/** The stored form of a change set's entries: [type, collection, id, revision], "p" put, "d" delete. */
type StoredChange = [string, string, string, number];

/** A `changes` row as the adapter reads it. */
interface ChangeRow {
  seq: number;
  at: number;
  crc: number;
  entries: string;
}

// Trimming the change log every commit would cost a statement per write; every 64th is enough to
// keep "at least changeRetention" and bounds the excess.
const TRIM_EVERY = 64;

/** The sequence number of the last committed transaction (0 for a new store). */
export function readSequence(statements: Statements): number {
  return (statements.lastSeq.get() as number | undefined) ?? 0;
}

/** Writes the change set of `writes` under `seq`, trimming past the retention every TRIM_EVERY-th commit. */
export function appendChangeSet(statements: Statements, writes: readonly CommitWrite[], seq: number, retention: number): void {
  const at = Date.now();
  const entries = JSON.stringify(writes.map((w): StoredChange => [w.type === "put" ? "p" : "d", w.collection, w.id, w.revision]));
  statements.insertChange.run(seq, at, changeCrc(seq, at, entries), entries);
  if (seq % TRIM_EVERY === 0 && seq > retention) statements.trimChanges.run(seq - retention);
}

/** At most `limit` change sets after `since`, oldest first (the table holds only the retained ones, give or take a trim). */
export function readChanges(statements: Statements, since: number, limit: number, file: string): ChangeSet[] {
  // As the memory adapter's slice would: NaN takes nothing, Infinity everything (LIMIT -1).
  const n = Number.isNaN(limit) ? 0 : limit === Number.POSITIVE_INFINITY ? -1 : Math.max(0, Math.floor(limit));
  const rows = statements.changesSince.all(since, n) as ChangeRow[];
  return rows.map((row) => decodeChangeSet(row, file));
}

function corrupt(file: string, what: string): CorruptError {
  return new CorruptError(`corrupt store ${file}: ${what}`, { details: { file } });
}

/** A `changes` row as a frozen change set, after checking its column types and its checksum. */
function decodeChangeSet(row: ChangeRow, file: string): ChangeSet {
  if (typeof row.entries !== "string" || !Number.isSafeInteger(row.at) || !Number.isSafeInteger(row.crc)) {
    throw corrupt(file, `change set ${row.seq}: a column has the wrong type`);
  }
  if (changeCrc(row.seq, row.at, row.entries) !== row.crc) throw corrupt(file, `change set ${row.seq}: checksum mismatch`);
  let stored: StoredChange[];
  try {
    stored = JSON.parse(row.entries) as StoredChange[];
    if (!Array.isArray(stored)) throw new TypeError("not an array");
  } catch {
    throw corrupt(file, `change set ${row.seq}: unparseable JSON`);
  }
  const changes: ChangeEntry[] = stored.map(([t, collection, id, revision]) =>
    Object.freeze({ type: t === "d" ? ("delete" as const) : ("put" as const), collection, id, revision }),
  );
  return Object.freeze({ sequence: row.seq, at: new Date(row.at).toISOString(), changes: Object.freeze(changes) });
}

/**
 * `importChanges` inside the caller's write transaction: drops every change set (the copy's own)
 * and writes `sets` with their sequences and times. The sequence is the latest row's, so the next
 * commit takes the last imported + 1.
 */
export function replaceChangeLog(statements: Statements, sets: readonly ChangeSet[]): void {
  statements.trimChanges.run(Number.MAX_SAFE_INTEGER);
  for (const set of sets) {
    const at = Date.parse(set.at);
    const entries = JSON.stringify(set.changes.map((e): StoredChange => [e.type === "put" ? "p" : "d", e.collection, e.id, e.revision]));
    statements.insertChange.run(set.sequence, at, changeCrc(set.sequence, at, entries), entries);
  }
}
