import { compareEntries, compareKeys, decodeCursor, encodeCursor } from "./cursor.js";

// Any UTF-16 surrogate: only then does plain string order differ from code-point order.
const SURROGATE = /[\uD800-\uDFFF]/;

export interface IndexEntry {
  readonly key: string;
  readonly id: string;
}

/**
 * An ordered set of (key, id) entries with binary-search insert, delete and range scans. The
 * memory adapter keeps one per index; other adapters may use it for in-process index caches.
 */
export class SortedIndex {
  private entries: IndexEntry[] = [];

  /**
   * Builds an index from distinct, unordered entries with one sort (takes ownership of the array): an
   * adapter loading a whole collection pays O(n log n) once instead of one splice per record.
   */
  static build(entries: IndexEntry[]): SortedIndex {
    const plain = !entries.some((e) => SURROGATE.test(e.key) || SURROGATE.test(e.id));
    // Without surrogates, JavaScript's string order is code-point order, and much faster.
    entries.sort(
      plain
        ? (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
        : (a, b) => compareEntries(a.key, a.id, b.key, b.id),
    );
    const idx = new SortedIndex();
    idx.entries = entries;
    return idx;
  }

  get size(): number {
    return this.entries.length;
  }

  /** First position whose entry is ≥ (key, id). */
  private lowerBound(key: string, id: string): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid]!;
      if (compareEntries(e.key, e.id, key, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(key: string, id: string): void {
    const at = this.lowerBound(key, id);
    const e = this.entries[at];
    if (e !== undefined && e.key === key && e.id === id) return;
    this.entries.splice(at, 0, { key, id });
  }

  remove(key: string, id: string): void {
    const at = this.lowerBound(key, id);
    const e = this.entries[at];
    if (e !== undefined && e.key === key && e.id === id) this.entries.splice(at, 1);
  }

  /** Entries whose key starts with `prefix`, after the cursor, in order; at most `limit`. */
  scan(options: { prefix?: string; after?: string; limit: number; reverse?: boolean }): { entries: IndexEntry[]; more: boolean } {
    const prefix = options.prefix ?? "";
    const out: IndexEntry[] = [];
    const cursor = options.after === undefined ? undefined : decodeCursor(options.after);
    if (!options.reverse) {
      let i = cursor === undefined ? this.lowerBound(prefix, "") : this.lowerBound(cursor.key, cursor.id);
      if (cursor !== undefined) {
        const e = this.entries[i];
        if (e !== undefined && e.key === cursor.key && e.id === cursor.id) i++;
        if (compareKeys(cursor.key, prefix) < 0) i = Math.max(i, this.lowerBound(prefix, ""));
      }
      for (; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (!e.key.startsWith(prefix)) {
          if (compareKeys(e.key, prefix) > 0) break;
          continue;
        }
        if (out.length === options.limit) return { entries: out, more: true };
        out.push(e);
      }
      return { entries: out, more: false };
    }
    let i = this.entries.length - 1;
    if (cursor !== undefined) i = this.lowerBound(cursor.key, cursor.id) - 1;
    for (; i >= 0; i--) {
      const e = this.entries[i]!;
      if (!e.key.startsWith(prefix)) {
        if (compareKeys(e.key, prefix) < 0) break;
        continue;
      }
      if (out.length === options.limit) return { entries: out, more: true };
      out.push(e);
    }
    return { entries: out, more: false };
  }

  countPrefix(prefix: string): number {
    if (prefix === "") return this.entries.length;
    let n = 0;
    for (let i = this.lowerBound(prefix, ""); i < this.entries.length; i++) {
      if (!this.entries[i]!.key.startsWith(prefix)) break;
      n++;
    }
    return n;
  }
}

export function cursorOf(entry: IndexEntry): string {
  return encodeCursor(entry.key, entry.id);
}
