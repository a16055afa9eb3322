import type { CountOptions, ListOptions, ListPage, StoredRecord } from "@statehouse/core";
import { decodeCursor, encodeCursor, decodeKey, encodeKey, prefixRange } from "@statehouse/core/spi";
import { decodeRecord } from "./decode.js";
import type { RecordRow, Statement, Statements } from "./statements.js";

export type Query = <R>(statement: Statement, values: unknown[]) => Promise<R[]>;

// NUL is excluded too: no id holds one, and PostgreSQL text cannot.
const ASCII = /^[\x01-\x7f]*$/;

/**
 * The decoded cursor. A cursor id holding NUL came from no page (ids never hold one, and
 * PostgreSQL text cannot): it is replaced by the NUL-free string that bounds the same ids, the
 * part before the NUL going forward ("a\0b" → "a": ids after it), that part plus U+0001 in reverse
 * ("a\0b" → "a\u0001": ids before it, "a" included).
 */
function cursorOf(options: ListOptions): { key: string; id: string } | undefined {
  if (options.after === undefined) return undefined;
  const cursor = decodeCursor(options.after);
  const nul = cursor.id.indexOf("\u0000");
  if (nul < 0) return cursor;
  return { key: cursor.key, id: cursor.id.slice(0, nul) + (options.reverse ? "\u0001" : "") };
}

/** Ids are ASCII (core validates them), so every id starting with `prefix` lies in [prefix, prefix + U+0080). */
async function byId(
  query: Query,
  statements: Statements,
  collection: string,
  options: ListOptions,
  limit: number,
  where: string,
): Promise<ListPage> {
  const prefix = options.prefix ?? "";
  if (!ASCII.test(prefix)) return { records: [] };
  const high = `${prefix}\u0080`;
  const cursor = cursorOf(options);
  // Keyset paging: strictly after (or before) the cursor's id; no cursor bounds nothing.
  const rows = options.reverse
    ? await query<RecordRow>(statements.listByIdReverse, [collection, prefix, high, cursor?.id ?? high, limit + 1])
    : await query<RecordRow>(statements.listById, [collection, prefix, high, cursor?.id ?? "", limit + 1]);
  const more = rows.length > limit;
  const records = rows.slice(0, limit).map((row) => decodeRecord(row, collection, where).record);
  const last = records[records.length - 1];
  return more && last !== undefined ? { records, cursor: encodeCursor(last.id, last.id) } : { records };
}

async function byIndex(
  query: Query,
  statements: Statements,
  collection: string,
  name: string,
  options: ListOptions,
  limit: number,
  where: string,
): Promise<ListPage> {
  const { low, high } = prefixRange(options.prefix ?? "");
  const cursor = cursorOf(options);
  const cursorKey = cursor === undefined ? undefined : encodeKey(cursor.key);
  let rows: (RecordRow & { key: Buffer })[];
  if (!options.reverse) {
    // Start after the later of the cursor and the prefix's first possible entry (low, "").
    const useCursor = cursorKey !== undefined && Buffer.compare(cursorKey, low) >= 0;
    const values = [collection, encodeKey(name), useCursor ? cursorKey : low, useCursor ? cursor!.id : "", high, limit + 1];
    rows = await query(statements.listByIndex, values);
  } else {
    const useCursor = cursorKey !== undefined && Buffer.compare(cursorKey, high) < 0;
    const values = [collection, encodeKey(name), useCursor ? cursorKey : high, useCursor ? cursor!.id : "", low, limit + 1];
    rows = await query(statements.listByIndexReverse, values);
  }
  const more = rows.length > limit;
  const records: StoredRecord[] = [];
  let lastKey = "";
  for (const row of rows.slice(0, limit)) {
    lastKey = decodeKey(row.key);
    records.push(decodeRecord(row, collection, where).record);
  }
  const last = records[records.length - 1];
  return more && last !== undefined ? { records, cursor: encodeCursor(lastKey, last.id) } : { records };
}

export function listPage(
  query: Query,
  statements: Statements,
  collection: string,
  options: ListOptions,
  limit: number,
  where: string,
): Promise<ListPage> {
  return options.index === undefined
    ? byId(query, statements, collection, options, limit, where)
    : byIndex(query, statements, collection, options.index, options, limit, where);
}

/** The number of records (or index entries) of the collection with the prefix. */
export async function countRecords(query: Query, statements: Statements, collection: string, options: CountOptions): Promise<number> {
  const prefix = options.prefix ?? "";
  let rows: { n: string }[];
  if (options.index !== undefined) {
    const low = encodeKey(prefix);
    const high = Buffer.concat([low, Buffer.from([0xff])]);
    rows = await query(statements.countByIndex, [collection, encodeKey(options.index), low, high]);
  } else {
    // Ids are ASCII (core validates them): no id starts with a non-ASCII prefix.
    if (!ASCII.test(prefix)) return 0;
    rows = await query(statements.countById, [collection, prefix, `${prefix}\u0080`]);
  }
  return Number(rows[0]!.n);
}
