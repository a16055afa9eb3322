import { type ChangeEntry, type ChangeSet, type CommitWrite, CorruptError } from "@statehouse/core";
import type { Query } from "./listing.js";
import type { Statements } from "./statements.js";

// The PostgreSQL adapter's change log: one `statehouse_changes` row per committed transaction,
// keyed by its sequence number, written (and trimmed to the retention) by the `statehouse_commit`
// function of schema.ts; here its encoding and the reads of `changes()` and `sequence()`.

/** The stored form of a change set's entries: [type, collection, id, revision], "p" put, "d" delete. */
type StoredChange = [string, string, string, number];

/** The `entries` text of the change set of `writes`, as `statehouse_commit` stores it. */
export function encodeChanges(writes: readonly CommitWrite[]): string {
  return encodeChangeEntries(writes);
}

/** The `entries` text of change entries (an imported change set's, or a commit's writes). */
export function encodeChangeEntries(entries: readonly Pick<ChangeEntry, "type" | "collection" | "id" | "revision">[]): string {
  return JSON.stringify(entries.map((w): StoredChange => [w.type === "put" ? "p" : "d", w.collection, w.id, w.revision]));
}

export function decodeChangeSet(row: { seq: string; at: string; entries: string }, where: string): ChangeSet {
  let stored: StoredChange[];
  try {
    stored = JSON.parse(row.entries) as StoredChange[];
    if (!Array.isArray(stored)) throw new TypeError("not an array");
  } catch {
    throw new CorruptError(`corrupt store ${where}: change set ${row.seq}: unparseable JSON`, { details: { server: where } });
  }
  const changes: ChangeEntry[] = stored.map(([t, collection, id, revision]) =>
    Object.freeze({ type: t === "d" ? ("delete" as const) : ("put" as const), collection, id, revision }),
  );
  return Object.freeze({ sequence: Number(row.seq), at: new Date(Number(row.at)).toISOString(), changes: Object.freeze(changes) });
}

/** At most `limit` change sets after `since`, oldest first (the table holds only the retained ones). */
export async function readChanges(query: Query, statements: Statements, since: number, limit: number, where: string): Promise<ChangeSet[]> {
  // As the memory adapter's filter and slice would: NaN takes nothing, Infinity everything.
  if (Number.isNaN(since) || Number.isNaN(limit) || limit <= 0) return [];
  const n = limit === Number.POSITIVE_INFINITY ? null : Math.floor(limit);
  if (since === Number.POSITIVE_INFINITY) return [];
  // Sequences are integers: after 2.5 is after 2.
  const from = since === Number.NEGATIVE_INFINITY ? -1 : Math.floor(since);
  const rows = await query<{ seq: string; at: string; entries: string }>(statements.changes, [from, n]);
  return rows.map((row) => decodeChangeSet(row, where));
}

/** The sequence number of the last committed transaction (0 for a new store). */
export async function readSequence(query: Query, statements: Statements): Promise<number> {
  const rows = await query<{ seq: string }>(statements.sequence, []);
  return Number(rows[0]?.seq ?? 0);
}
