import type { Known } from "./record-cache.js";

/** At most this many collections are remembered (there are a handful in practice). */
const MAX_COLLECTIONS = 1000;

const collectionOf = (key: string): string => key.slice(0, key.indexOf("\u0000"));

/**
 * Which collections' unknown keys have lately turned out to be absent. Core writes keys that never
 * existed at every document write (the new history entry, `history/<doc>@<revision>`, which its
 * put reads first), and each such read is a miss this process cannot answer from its cache: fetching
 * it cost a round trip before every commit. In a collection whose last fetched misses were all
 * absent, a writing transaction instead assumes its misses absent and commits at once: the commit
 * validates them under the counter lock like every other read (expected sequence 0), so a wrong
 * guess is a rolled-back commit followed by the fetch it skipped, never a wrong result. One wrong
 * guess drops the collection until a fetch finds its misses absent again.
 */
export class AbsenceGuess {
  private readonly absent = new Set<string>();

  /** Whether every key (`collection\0id`) is in a collection whose misses were absent lately. */
  likely(keys: readonly string[]): boolean {
    return keys.length > 0 && keys.every((k) => this.absent.has(collectionOf(k)));
  }

  /** After a fetch of `misses`: a collection with one present is dropped, one with all absent added. */
  learn(misses: readonly string[], seen: ReadonlyMap<string, Known>): void {
    const present = new Set<string>();
    const absent = new Set<string>();
    for (const k of misses) (seen.get(k)?.record === undefined ? absent : present).add(collectionOf(k));
    for (const c of present) this.absent.delete(c);
    for (const c of absent) {
      if (present.has(c) || this.absent.has(c)) continue;
      if (this.absent.size >= MAX_COLLECTIONS) this.absent.delete(this.absent.values().next().value!);
      this.absent.add(c);
    }
  }

  /** A commit that guessed `keys` absent was refused: their collections are no longer guessed. */
  forget(keys: readonly string[]): void {
    for (const k of keys) this.absent.delete(collectionOf(k));
  }
}
