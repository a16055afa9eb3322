import type { CountOptions, ListOptions, ListPage } from "@statehouse/core";
import { cursorOf } from "@statehouse/core/spi";
import { BY_ID, type StoreView } from "./store-view.js";

// The file adapter's listing: pages and counts from the view's sorted indexes of a collection
// (by id, or by an index's key), which the view keeps folded from the data files and the commits.
// The caller has refreshed the view and validated the options and the collection name.

/** A page of at most `limit` records of `collection`, in key order (or reverse), after the cursor. */
export function listPage(view: StoreView, collection: string, options: ListOptions, limit: number): ListPage {
  const scan = {
    limit,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(options.after !== undefined && { after: options.after }),
    ...(options.reverse !== undefined && { reverse: options.reverse }),
  };
  const c = view.full(collection);
  const { entries, more } = c.index(options.index ?? BY_ID).scan(scan);
  const records = entries.map((e) => c.record(e.id)!);
  const last = entries[entries.length - 1];
  return more && last !== undefined ? { records, cursor: cursorOf(last) } : { records };
}

/** The number of records of `collection` whose id (or key in `options.index`) starts with the prefix. */
export function countRecords(view: StoreView, collection: string, options: CountOptions): number {
  return view
    .full(collection)
    .index(options.index ?? BY_ID)
    .countPrefix(options.prefix ?? "");
}
