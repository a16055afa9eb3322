import { type CountOptions, CorruptError, type ListOptions, type ListPage, type StoredRecord } from "@statehouse/core";
import { compareKeys, decodeCursor, encodeCursor, decodeKey, encodeKey, prefixRange } from "@statehouse/core/spi";
import { decodeRecord } from "./decode.js";
import { RecordCache } from "./record-cache.js";
import type { EntryRow, RecordRow, Statements } from "./statements.js";

export interface ListContext {
  statements: Statements;
  cache: RecordCache;
  file: string;
  dataVersion: number;
}

const ASCII = /^[\x00-\x7f]*$/;

/** A row's record, parsed only if the cache does not already hold this version of it. */
function recordOf(
  ctx: ListContext,
  row: RecordRow,
  collection: string,
  id: string,
): { record: StoredRecord; index: Readonly<Record<string, string>> } {
  const key = RecordCache.key(collection, id);
  const cached = ctx.cache.get(key);
  if (cached !== undefined && cached.seq === row.seq && cached.record !== undefined && row.collection === collection && row.id === id) {
    return { record: cached.record, index: cached.index };
  }
  const decoded = decodeRecord(row, collection, id, ctx.file);
  ctx.cache.set(
    key,
    { seq: row.seq, dataVersion: ctx.dataVersion, record: decoded.record, index: decoded.index, rid: row.rid, idx: row.idx },
    row.value.length,
  );
  return decoded;
}

function byId(ctx: ListContext, collection: string, options: ListOptions, limit: number): ListPage {
  const prefix = options.prefix ?? "";
  // Ids are ASCII (core validates them): none starts with a non-ASCII prefix, and the ASCII
  // strings starting with `prefix` are exactly those in [prefix, prefix + U+0080).
  if (!ASCII.test(prefix)) return { records: [] };
  const high = `${prefix}\u0080`;
  const cursor = options.after === undefined ? undefined : decodeCursor(options.after);
  let rows: RecordRow[];
  if (!options.reverse) {
    const ck = cursor?.key ?? "";
    const start = compareKeys(ck, prefix) > 0 ? ck : prefix;
    rows = ctx.statements.listById.all(collection, start, high, ck, cursor?.id ?? "", limit + 1) as RecordRow[];
  } else {
    let end = high;
    if (cursor !== undefined && compareKeys(`${cursor.key}\u0000`, high) < 0) end = `${cursor.key}\u0000`;
    rows = ctx.statements.listByIdReverse.all(collection, end, prefix, cursor?.key ?? high, cursor?.id ?? "", limit + 1) as RecordRow[];
  }
  const more = rows.length > limit;
  const records = rows.slice(0, limit).map((row) => recordOf(ctx, row, collection, row.id).record);
  const last = records[records.length - 1];
  return more && last !== undefined ? { records, cursor: encodeCursor(last.id, last.id) } : { records };
}

function byIndex(ctx: ListContext, collection: string, name: string, options: ListOptions, limit: number): ListPage {
  const { low, high } = prefixRange(options.prefix ?? "");
  const encodedName = encodeKey(name);
  const cursor = options.after === undefined ? undefined : decodeCursor(options.after);
  const cursorKey = cursor === undefined ? undefined : encodeKey(cursor.key);
  let rows: EntryRow[];
  if (!options.reverse) {
    // Start after the later of the cursor and the prefix's first possible entry (low, "").
    const useCursor = cursorKey !== undefined && Buffer.compare(cursorKey, low) >= 0;
    const from = useCursor ? cursorKey : low;
    rows = ctx.statements.listByIndex.all(collection, encodedName, from, useCursor ? cursor!.id : "", high, limit + 1) as EntryRow[];
  } else {
    const useCursor = cursorKey !== undefined && Buffer.compare(cursorKey, high) < 0;
    const from = useCursor ? cursorKey : high;
    rows = ctx.statements.listByIndexReverse.all(collection, encodedName, from, useCursor ? cursor!.id : "", low, limit + 1) as EntryRow[];
  }
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const records: StoredRecord[] = [];
  let lastKey = "";
  for (const row of page) {
    lastKey = decodeKey(row.ekey);
    if (row.rid === null || row.rid === undefined) {
      throw new CorruptError(
        `corrupt store ${ctx.file}: index ${JSON.stringify(name)} lists ${collection}/${row.eid}, which has no record`,
        {
          details: { file: ctx.file },
        },
      );
    }
    const { record, index } = recordOf(ctx, row as RecordRow, collection, row.eid);
    if (index[name] !== lastKey) {
      throw new CorruptError(
        `corrupt store ${ctx.file}: index ${JSON.stringify(name)} lists ${collection}/${row.eid} under a key the record does not have`,
        {
          details: { file: ctx.file },
        },
      );
    }
    records.push(record);
  }
  const last = records[records.length - 1];
  return more && last !== undefined ? { records, cursor: encodeCursor(lastKey, last.id) } : { records };
}

export function listPage(ctx: ListContext, collection: string, options: ListOptions, limit: number): ListPage {
  return options.index === undefined ? byId(ctx, collection, options, limit) : byIndex(ctx, collection, options.index, options, limit);
}

/** The number of records of `collection` whose id (or key in `options.index`) starts with the prefix. */
export function countRecords(statements: Statements, collection: string, options: CountOptions): number {
  const prefix = options.prefix ?? "";
  if (options.index !== undefined) {
    const low = encodeKey(prefix);
    const high = Buffer.concat([low, Buffer.from([0xff])]);
    return statements.countByIndex.get(collection, encodeKey(options.index), low, high) as number;
  }
  // Ids are ASCII (core validates them), so no id starts with a non-ASCII prefix, and
  // [prefix, prefix + U+0080) holds exactly the ASCII strings that start with it.
  if (!ASCII.test(prefix)) return 0;
  return statements.countById.get(collection, prefix, `${prefix}\u0080`) as number;
}
