/**
 * A least-recently-used cache on a Map, whose iteration order is insertion order: a hit is moved
 * to the end, and the first key is the one to evict.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  // The most recent key: hitting it again (a query repeated in a loop) needs no reordering.
  private lastKey: K | undefined = undefined;
  private lastValue: V | undefined = undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    if (key === this.lastKey && this.lastValue !== undefined) return this.lastValue;
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    this.lastKey = key;
    this.lastValue = value;
    return value;
  }

  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
    this.lastKey = key;
    this.lastValue = value;
  }

  clear(): void {
    this.map.clear();
    this.lastKey = undefined;
    this.lastValue = undefined;
  }
}
