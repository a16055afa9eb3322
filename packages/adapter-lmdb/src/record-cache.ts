import type { StoredRecord } from "@statehouse/core";

interface Entry {
  stamp: number;
  record: StoredRecord;
}

/**
 * Parsed records by (collection, id), each with the stamp of the bytes it was parsed from. An
 * entry is only ever served after the stored stamp has been read and found equal, so it cannot
 * be stale, whichever process wrote last. Eviction is by insertion order (cheap, and enough
 * for a cache that only saves parsing).
 */
export class RecordCache {
  private readonly map = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  lookup(key: string, stamp: number): StoredRecord | undefined {
    const e = this.map.get(key);
    return e !== undefined && e.stamp === stamp ? e.record : undefined;
  }

  store(key: string, stamp: number, record: StoredRecord): void {
    if (this.capacity === 0) return;
    const e = this.map.get(key);
    if (e !== undefined) {
      e.stamp = stamp;
      e.record = record;
      return;
    }
    this.map.set(key, { stamp, record });
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
