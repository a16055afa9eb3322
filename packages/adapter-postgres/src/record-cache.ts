import type { StoredRecord } from "@statehouse/core";

/** What this process last knew of a record: the sequence that wrote it (0: absent) and the record. */
export interface Known {
  readonly seq: number;
  readonly record: StoredRecord | undefined;
}

/**
 * Records remembered across transactions, least recently used dropped first. Only an optimistic
 * starting point: a transaction's commit validates every entry it read, so a stale one costs a
 * retry, never a wrong result.
 */
export class RecordCache {
  private readonly map = new Map<string, Known>();

  constructor(private readonly capacity: number) {}

  static key(collection: string, id: string): string {
    return `${collection}\u0000${id}`;
  }

  get(key: string): Known | undefined {
    const k = this.map.get(key);
    if (k !== undefined) {
      this.map.delete(key);
      this.map.set(key, k);
    }
    return k;
  }

  set(key: string, known: Known): void {
    if (this.capacity === 0) return;
    this.map.delete(key);
    this.map.set(key, known);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }

  /** Forgets one record: the next read fetches it. */
  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
