import { type CountOptions, CorruptError, type ListOptions, type ListPage, type StoredRecord, isValidCollection } from "@statehouse/core";
import { decodeCursor, encodeCursor, resolvePageSize } from "@statehouse/core/spi";
import type { Environment } from "./environment.js";
import { decodeIndexKey, idOfKey, indexKey, indexPrefix, recordKey, recordPrefix, successor, upperBound } from "./keys.js";

// The LMDB adapter's listing: pages of records by id or through an index, and counts, as key
// ranges of the `records` and `index` databases. Runs inside the adapter's read snapshot.

/** How listing reads records: through the adapter's record cache. */
export interface RecordReader {
  /** Decodes the record bytes `raw` of collection/id (valid until the next LMDB read). */
  decode(collection: string, id: string, raw: Uint8Array): StoredRecord;
  /** The record, or undefined when absent. */
  read(collection: string, id: string): StoredRecord | undefined;
}

/** One listing request, its options checked: what `readPage` reads. */
export interface ListRange {
  readonly collection: string;
  readonly options: ListOptions;
  readonly limit: number;
  readonly low: Buffer;
  readonly high: Buffer;
  /** The cursor's own key, if the page continues a previous one. */
  readonly at: Buffer | undefined;
}

/**
 * Checks the options (limit, cursor: a typed error when bad); undefined when the collection name
 * is not a valid one (an empty page).
 */
export function listRange(collection: string, options: ListOptions): ListRange | undefined {
  const limit = resolvePageSize(options.limit);
  const cursor = options.after === undefined ? undefined : decodeCursor(options.after);
  const prefix = options.prefix ?? "";
  const index = options.index;
  if (!isValidCollection(collection)) return undefined;
  const low = index !== undefined ? indexPrefix(collection, index, prefix) : recordPrefix(collection, prefix);
  let at: Buffer | undefined;
  if (cursor !== undefined) {
    at = index !== undefined ? indexKey(collection, index, cursor.key, cursor.id) : recordKey(collection, cursor.id);
  }
  return { collection, options, limit, low, high: upperBound(low), at };
}

/** Reads one page of the range. */
export function readPage(env: Environment, reader: RecordReader, range: ListRange): ListPage {
  const { collection, options, limit, low, high, at } = range;
  const byIndex = options.index !== undefined;
  const db = byIndex ? env.index : env.records;
  const keys: Array<{ key: string; id: string }> = [];
  const records: StoredRecord[] = [];
  let entries: Iterable<{ key: Buffer; value: Buffer }>;
  if (options.reverse === true) {
    if (at !== undefined && Buffer.compare(at, low) <= 0) return { records: [] };
    const start = at !== undefined && Buffer.compare(at, high) < 0 ? at : high;
    entries = db.getRange({ start, end: low, reverse: true, exclusiveStart: true, inclusiveEnd: true, limit: limit + 1 });
  } else {
    const start = at !== undefined && Buffer.compare(successor(at), low) > 0 ? successor(at) : low;
    if (Buffer.compare(start, high) >= 0) return { records: [] };
    entries = db.getRange({ start, end: high, limit: limit + 1 });
  }
  let more = false;
  for (const { key, value } of entries) {
    if (keys.length === limit) {
      more = true;
      break;
    }
    if (byIndex) {
      const entry = decodeIndexKey(key);
      if (entry === undefined) throw corruptFrom(env.file, [`malformed index key ${Buffer.from(key).toString("hex")}`]);
      keys.push({ key: entry.key, id: entry.id });
    } else {
      const id = idOfKey(key);
      records.push(reader.decode(collection, id, value));
      keys.push({ key: id, id });
    }
  }
  if (byIndex) {
    for (const k of keys) {
      const record = reader.read(collection, k.id);
      if (record === undefined) throw corruptFrom(env.file, [`index ${options.index} lists ${collection}/${k.id}, which does not exist`]);
      records.push(record);
    }
  }
  const last = keys[keys.length - 1];
  return more && last !== undefined ? { records, cursor: encodeCursor(last.key, last.id) } : { records };
}

/** The number of records (or index entries) of the collection with the prefix. */
export function countRange(env: Environment, collection: string, options: CountOptions): number {
  const prefix = options.prefix ?? "";
  const low = options.index !== undefined ? indexPrefix(collection, options.index, prefix) : recordPrefix(collection, prefix);
  const db = options.index !== undefined ? env.index : env.records;
  return db.getKeysCount({ start: low, end: upperBound(low) });
}

/** The store's structure is damaged: the typed error, thrown where the damage is found. */
export function corruptFrom(file: string, problems: string[]): CorruptError {
  const summary = `${problems.length} structural problem(s): ${problems.slice(0, 3).join("; ")}`;
  return new CorruptError(`corrupt store: ${file}: ${summary}`, { details: { file } });
}
