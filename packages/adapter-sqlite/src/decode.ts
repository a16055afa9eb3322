import { CorruptError, type IndexKeys, type JsonValue, type StoredRecord, deepFreeze } from "@statehouse/core";
import { recordCrc } from "./checksum.js";
import type { RecordRow } from "./statements.js";

function corrupt(file: string, what: string): CorruptError {
  return new CorruptError(`corrupt store ${file}: ${what}`, { details: { file } });
}

export interface DecodedRecord {
  record: StoredRecord;
  index: IndexKeys;
}

/**
 * Turns a `records` row into a frozen record after checking that it is the row that was asked for
 * and that its checksum holds; anything else is corruption.
 */
export function decodeRecord(row: RecordRow, collection: string, id: string, file: string): DecodedRecord {
  const where = `record ${collection}/${id}`;
  // A damaged page can decode to columns of the wrong type (a zeroed cell reads as NULLs).
  if (
    typeof row.value !== "string" ||
    (row.idx !== null && typeof row.idx !== "string") ||
    !Number.isSafeInteger(row.seq) ||
    !Number.isSafeInteger(row.revision) ||
    !Number.isSafeInteger(row.crc)
  ) {
    throw corrupt(file, `${where}: a column has the wrong type`);
  }
  if (row.collection !== collection || row.id !== id) throw corrupt(file, `${where}: the index led to ${row.collection}/${row.id}`);
  if (recordCrc(row.collection, row.id, row.seq, row.revision, row.idx, row.value) !== row.crc) {
    throw corrupt(file, `${where}: checksum mismatch`);
  }
  let value: JsonValue;
  let index: IndexKeys;
  try {
    value = JSON.parse(row.value) as JsonValue;
    index = row.idx === null ? {} : (JSON.parse(row.idx) as IndexKeys);
  } catch {
    throw corrupt(file, `${where}: unparseable JSON`);
  }
  return {
    record: Object.freeze({ collection, id, revision: row.revision, value: deepFreeze(value) }),
    index: Object.freeze(index),
  };
}
