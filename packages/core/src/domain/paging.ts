import { encodeCursor, resolvePageSize } from "../spi/cursor.js";
import type { StorageAdapter, StoredRecord } from "../spi/types.js";
import type { Page } from "./types.js";

export interface ListPageOptions<T> {
  /** Undefined: by id. */
  index: string | undefined;
  prefix: string | undefined;
  reverse: boolean;
  limit: number;
  cursor: string | undefined;
  map: (r: StoredRecord) => T;
  /** The item's (index key, id), to place a cursor after an item that ends a filtered page. */
  position: (item: T) => { key: string; id: string };
  /** A filter the index cannot express; pages are refilled until `limit` items pass it. */
  keep?: ((item: T) => boolean) | undefined;
}

/** One page of a domain listing over an SPI index, with optional in-memory filtering. */
export async function listPage<T>(adapter: StorageAdapter, collection: string, o: ListPageOptions<T>): Promise<Page<T>> {
  // Checked here, on every path: the filtered one below never hands `limit` to the adapter, and
  // with 0, -1 or 2.5 its "page full" test never held, so it returned everything.
  resolvePageSize(o.limit);
  const base = {
    reverse: o.reverse,
    ...(o.index !== undefined && { index: o.index }),
    ...(o.prefix !== undefined && { prefix: o.prefix }),
  };
  if (o.keep === undefined) {
    const page = await adapter.list(collection, { ...base, limit: o.limit, ...(o.cursor !== undefined && { after: o.cursor }) });
    const items = page.records.map(o.map);
    return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
  }
  const items: T[] = [];
  let after = o.cursor;
  for (;;) {
    const page = await adapter.list(collection, { ...base, limit: Math.max(o.limit, 100), ...(after !== undefined && { after }) });
    for (const r of page.records) {
      const item = o.map(r);
      if (!o.keep(item)) continue;
      items.push(item);
      if (items.length === o.limit) {
        const at = o.position(item);
        return { items, cursor: encodeCursor(at.key, at.id) };
      }
    }
    if (page.cursor === undefined) return { items };
    after = page.cursor;
  }
}
