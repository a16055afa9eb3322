import { compareEntries, compareKeys, decodeCursor, encodeCursor } from "@statehouse/core";

export interface KeyEntry {
  readonly key: string;
  readonly id: string;
}

// Any UTF-16 surrogate: only then does plain string order differ from code-point order.
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * An ordered set of (key, id) entries, as core's SortedIndex (same order, same scan semantics:
 * prefix, cursor, reverse, limit), plus a bulk build: a collection's index is built in one sort
 * when it is first listed, instead of one binary-search insert per record.
 */
export class KeyIndex {
  private entries: KeyEntry[] = [];

  static build(entries: KeyEntry[]): KeyIndex {
    const plain = !entries.some((e) => SURROGATE.test(e.key) || SURROGATE.test(e.id));
    // Without surrogates, JavaScript's string order is code-point order, and much faster.
    entries.sort(
      plain
        ? (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
        : (a, b) => compareEntries(a.key, a.id, b.key, b.id),
    );
    const idx = new KeyIndex();
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
  scan(options: { prefix?: string; after?: string; limit: number; reverse?: boolean }): { entries: KeyEntry[]; more: boolean } {
    const prefix = options.prefix ?? "";
    const out: KeyEntry[] = [];
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

export function cursorOfEntry(entry: KeyEntry): string {
  return encodeCursor(entry.key, entry.id);
}
