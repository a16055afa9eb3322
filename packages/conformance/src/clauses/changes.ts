import type { ChangeEntry, ChangeSet, StorageAdapter } from "@statehouse/core";
import type { SuiteContext } from "../suite-context.js";

const C = "seq";

/** Entries of a change set in a canonical order: the SPI does not fix their order within a set. */
export function sortedEntries(entries: readonly ChangeEntry[]): ChangeEntry[] {
  return [...entries]
    .map((e) => ({ type: e.type, collection: e.collection, id: e.id, revision: e.revision }))
    .sort((x, y) => (x.collection + "\u0000" + x.id < y.collection + "\u0000" + y.id ? -1 : 1));
}

/** Every change set after `since`, following `limit`-sized pages. */
export async function allChanges(a: Pick<StorageAdapter, "changes">, since = 0, limit = 1000): Promise<ChangeSet[]> {
  const out: ChangeSet[] = [];
  for (;;) {
    const page = await a.changes(since, limit);
    out.push(...page);
    if (page.length < limit) return out;
    since = page[page.length - 1]!.sequence;
  }
}

/** Says what is wrong with a run of change sets that should be numbered from..to without gaps, or undefined. */
export function sequenceProblem(sets: readonly ChangeSet[], from: number, to: number): string | undefined {
  if (sets.length !== to - from + 1) return `expected ${to - from + 1} change sets numbered ${from}..${to}, got ${sets.length}`;
  for (let i = 0; i < sets.length; i++) {
    if (sets[i]!.sequence !== from + i)
      return `change set ${i} has sequence ${sets[i]!.sequence}, expected ${from + i} (a gap or a duplicate)`;
  }
  return undefined;
}

export function registerChanges(s: SuiteContext): void {
  s.describeGroup("changes", "a contiguous, ordered change sequence: sequence(), changes(since, limit)", [], () => {
    s.clause("each committed transaction takes the next number; changes(since, limit) reads them in order", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      expect(await a.sequence(), "an empty store").toBe(0);
      expect(await a.changes(0)).toEqual([]);
      const returned: Array<number | undefined> = [];
      returned.push((await a.transact((tx) => tx.put(C, "a", { v: 1 }))).sequence);
      returned.push((await a.transact((tx) => tx.put(C, "a", { v: 2 }))).sequence);
      returned.push((await a.transact((tx) => tx.put(C, "b", { v: 1 }, { index: { k: "x" } }))).sequence);
      returned.push((await a.transact((tx) => tx.delete(C, "a"))).sequence);
      returned.push(
        (
          await a.transact((tx) => {
            tx.put(C, "c", { v: 1 });
            tx.put("other", "d", { v: 1 });
            tx.delete(C, "b");
          })
        ).sequence,
      );
      expect(returned).toEqual([1, 2, 3, 4, 5]);
      expect(await a.sequence()).toBe(5);
      const sets = await a.changes(0);
      expect(sets.map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5]);
      expect(sets.map((c) => sortedEntries(c.changes))).toEqual([
        [{ type: "put", collection: C, id: "a", revision: 1 }],
        [{ type: "put", collection: C, id: "a", revision: 2 }],
        [{ type: "put", collection: C, id: "b", revision: 1 }],
        [{ type: "delete", collection: C, id: "a", revision: 2 }],
        sortedEntries([
          { type: "put", collection: C, id: "c", revision: 1 },
          { type: "put", collection: "other", id: "d", revision: 1 },
          { type: "delete", collection: C, id: "b", revision: 1 },
        ]),
      ]);
      for (const set of sets) {
        expect(typeof set.at).toBe("string");
        expect(Number.isNaN(Date.parse(set.at)), `"${set.at}" is an ISO 8601 time`).toBe(false);
      }
      expect((await a.changes(2)).map((c) => c.sequence)).toEqual([3, 4, 5]);
      expect((await a.changes(0, 2)).map((c) => c.sequence)).toEqual([1, 2]);
      expect((await a.changes(3, 1)).map((c) => c.sequence)).toEqual([4]);
      expect(await a.changes(5)).toEqual([]);
      expect(await a.changes(100)).toEqual([]);
    });

    s.clause("failed and empty transactions leave no gap; 300 commits page through changes() without gaps", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      for (let i = 0; i < 300; i++) {
        await a.transact((tx) => tx.put(C, `r${i % 7}`, { i }));
        if (i % 10 === 0) await a.transact((tx) => tx.get(C, "r0")).catch(() => undefined);
        if (i % 15 === 0) {
          await a
            .transact((tx) => {
              tx.put(C, "doomed", { i });
              throw new Error("abort");
            })
            .catch(() => undefined);
        }
      }
      expect(await a.sequence()).toBe(300);
      const retained = Math.min(300, a.capabilities.changeRetention);
      const sets = await allChanges(a, 300 - retained, 16);
      expect(sequenceProblem(sets, 300 - retained + 1, 300)).toBeUndefined();
      expect(sets.every((c) => c.changes.length === 1 && c.changes[0]!.id !== "doomed")).toBe(true);
    });
  });
}
