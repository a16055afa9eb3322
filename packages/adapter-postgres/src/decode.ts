import { type ChangeEntry, type ChangeSet, CorruptError, type JsonValue, type StoredRecord, deepFreeze } from "@statehouse/core";
import type { RecordRow } from "./statements.js";

function corrupt(where: string, what: string): CorruptError {
  return new CorruptError(`corrupt store ${where}: ${what}`, { details: { server: where } });
}

/** A `statehouse_records` row as a frozen record, with the sequence that wrote it. */
export function decodeRecord(row: RecordRow, collection: string, where: string): { seq: number; record: StoredRecord } {
  let value: JsonValue;
  try {
    value = JSON.parse(row.value ?? "") as JsonValue;
  } catch {
    throw corrupt(where, `record ${collection}/${row.id}: unparseable JSON`);
  }
  const revision = Number(row.revision);
  return { seq: Number(row.seq), record: Object.freeze({ collection, id: row.id, revision, value: deepFreeze(value) }) };
}

/** The stored form of a change set's entries: [type, collection, id, revision], "p" put, "d" delete. */
export type StoredChange = [string, string, string, number];

export function decodeChangeSet(row: { seq: string; at: string; entries: string }, where: string): ChangeSet {
  let stored: StoredChange[];
  try {
    stored = JSON.parse(row.entries) as StoredChange[];
    if (!Array.isArray(stored)) throw new TypeError("not an array");
  } catch {
    throw corrupt(where, `change set ${row.seq}: unparseable JSON`);
  }
  const changes: ChangeEntry[] = stored.map(([t, collection, id, revision]) =>
    Object.freeze({ type: t === "d" ? ("delete" as const) : ("put" as const), collection, id, revision }),
  );
  return Object.freeze({ sequence: Number(row.seq), at: new Date(Number(row.at)).toISOString(), changes: Object.freeze(changes) });
}
