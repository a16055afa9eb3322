import type { IndexKeys, StoredRecord } from "@statehouse/core";

export interface CacheEntry {
  /** The change sequence that wrote this version; 0 for a cached absence. */
  seq: number;
  /** `PRAGMA data_version` when the entry was last known current. */
  dataVersion: number;
  record: StoredRecord | undefined;
  /** The record's index keys, to check the entries a listing walks. */
  index: IndexKeys;
  /** The row's `rid` and `idx` column, so a commit need not read them again (0 and null when absent). */
  rid: number;
  idx: string | null;
  bytes: number;
}

export type CacheValue = Omit<CacheEntry, "bytes">;

const ENTRY_OVERHEAD = 160;

/**
 * Parsed, frozen records of this process, so that an unchanged record is served without reading
 * or parsing it again. An entry is trusted as is while the connection's `data_version` equals the
 * one it was tagged with (no other connection committed since); after that it is revalidated by
 * its `seq`, which changes on every write of the record. Least recently used entries go first.
 */
export class RecordCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  static key(collection: string, id: string): string {
    return `${collection}\u0000${id}`;
  }

  /** The entry without touching the eviction order. */
  peek(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  get(key: string): CacheEntry | undefined {
    const e = this.entries.get(key);
    if (e !== undefined) {
      // Refresh the entry's place in the eviction order.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  set(key: string, value: CacheValue, jsonLength: number): void {
    if (this.maxBytes === 0) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    const bytes = ENTRY_OVERHEAD + key.length + jsonLength;
    if (bytes > this.maxBytes / 4) return;
    this.entries.set(key, { ...value, bytes });
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) {
      for (const [k, e] of this.entries) {
        this.entries.delete(k);
        this.bytes -= e.bytes;
        if (this.bytes <= this.maxBytes * 0.9) break;
      }
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.bytes -= old.bytes;
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
