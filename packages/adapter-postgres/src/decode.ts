import { CorruptError, type JsonValue, type StoredRecord, deepFreeze } from "@statehouse/core";
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
