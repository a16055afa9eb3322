import type { ListOptions, StorageAdapter, StoredRecord } from "@statehouse/core";
import { compareEntries, compareKeys } from "@statehouse/core/spi";
import type { SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";
import { listOptionClauses } from "./list-options.js";

const C = "items";

/** Ids are restricted to an ASCII alphabet by core's validateId; these cover its punctuation. */
const IDS = ["a", "B", "_x", "0", "Z9", "a.b", "a-b", "a:b", "a@b", "a+b", "zz", "A", "a_", "9", "a0", "ab", "b"];

/**
 * Index keys may be any string. Code-point order differs from UTF-16 order above U+FFFF
 * (U+FFFF and U+E000 sort BEFORE astral characters), and NUL / control characters test that a
 * composite (key, id) encoding keeps tuple order.
 */
const KEYS = [
  "",
  "a",
  "B",
  "é",
  "e\u0301",
  "ß",
  "日本",
  "\uE000",
  "\uFFFF",
  "\u{1F600}",
  "\u{1F600}a",
  "\u{10FFFF}",
  "a\u0000",
  "a\u0001b",
  "a b",
  "~",
  "a",
];

/** Every record of a listing, following cursors; checks the page size and that paging terminates. */
export async function listAll(
  a: StorageAdapter,
  collection: string,
  options: ListOptions = {},
): Promise<{ records: StoredRecord[]; pages: number }> {
  const records: StoredRecord[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await a.list(collection, { ...options, ...(after !== undefined && { after }) });
    pages++;
    if (options.limit !== undefined && page.records.length > options.limit) {
      throw new Error(`a page of ${page.records.length} records exceeds limit ${options.limit}`);
    }
    records.push(...page.records);
    if (page.cursor === undefined) break;
    if (page.records.length === 0) throw new Error("a page with a cursor but no records: paging would never end");
    if (pages > 100_000) throw new Error("paging does not terminate");
    after = page.cursor;
  }
  return { records, pages };
}

function ids(records: readonly StoredRecord[]): string[] {
  return records.map((r) => r.id);
}

async function seedIndexed(a: StorageAdapter): Promise<Array<{ key: string; id: string }>> {
  const entries = KEYS.map((key, i) => ({ key, id: `k${String(i).padStart(2, "0")}` }));
  // Insert in a scrambled order so that insertion order cannot pass for sorted order.
  const scrambled = [...entries].sort(
    (x, y) => ((x.id.charCodeAt(2) * 7) % 10) - ((y.id.charCodeAt(2) * 7) % 10) || compareKeys(y.id, x.id),
  );
  for (const e of scrambled) await a.transact((tx) => tx.put(C, e.id, { key: e.key }, { index: { by: e.key } }));
  return entries.sort((x, y) => compareEntries(x.key, x.id, y.key, y.id));
}

export function registerListing(s: SuiteContext): void {
  s.describeGroup("listing", "(key, id) code-point order, prefix, cursors, reverse, limits, count, index upkeep", [], () => {
    s.clause("records list by id in code-point order, forward and reverse, with prefix", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      for (const id of [...IDS].reverse()) await a.transact((tx) => tx.put(C, id, { id }));
      await a.transact((tx) => tx.put("elsewhere", "a", { other: true }));
      const sorted = [...IDS].sort(compareKeys);
      const page = await a.list(C);
      expect(ids(page.records)).toEqual(sorted);
      expect(page.cursor, "one page holds everything: no cursor").toBeUndefined();
      expect(page.records.map((r) => r.value)).toEqual(sorted.map((id) => ({ id })));
      expect(ids((await a.list(C, { reverse: true })).records)).toEqual([...sorted].reverse());
      expect(ids((await a.list(C, { prefix: "a" })).records)).toEqual(sorted.filter((id) => id.startsWith("a")));
      expect(ids((await a.list(C, { prefix: "a", reverse: true })).records)).toEqual(sorted.filter((id) => id.startsWith("a")).reverse());
      expect(ids((await a.list(C, { prefix: "a." })).records)).toEqual(["a.b"]);
      expect((await a.list(C, { prefix: "q" })).records).toEqual([]);
      expect((await a.list("nothing-here")).records).toEqual([]);
      expect(await a.count("nothing-here")).toBe(0);
      expect(await a.count(C)).toBe(IDS.length);
      expect(await a.count(C, { prefix: "a" })).toBe(sorted.filter((id) => id.startsWith("a")).length);
      expect(await a.count("elsewhere")).toBe(1);
    });

    s.clause("index keys (any string: non-ASCII, astral, NUL, empty) list in (key, id) code-point order", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      const expected = await seedIndexed(a);
      const listed = (await a.list(C, { index: "by", limit: 1000 })).records;
      expect(listed.map((r) => [(r.value as { key: string }).key, r.id])).toEqual(expected.map((e) => [e.key, e.id]));
      const rev = (await a.list(C, { index: "by", reverse: true, limit: 1000 })).records;
      expect(ids(rev)).toEqual(expected.map((e) => e.id).reverse());
      for (const prefix of ["a", "\u{1F600}", "é", "\uFFFF", "a\u0000", "", "zz"]) {
        const want = expected.filter((e) => e.key.startsWith(prefix)).map((e) => e.id);
        expect(ids((await a.list(C, { index: "by", prefix })).records), `prefix ${JSON.stringify(prefix)}`).toEqual(want);
        expect(ids((await a.list(C, { index: "by", prefix, reverse: true })).records), `prefix ${JSON.stringify(prefix)} reversed`).toEqual(
          [...want].reverse(),
        );
        expect(await a.count(C, { index: "by", prefix }), `count prefix ${JSON.stringify(prefix)}`).toBe(want.length);
      }
    });

    s.clause("cursor pagination: every page size gives every record once, in order, forward and reverse", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      const expected = await seedIndexed(a);
      const byId = [...expected.map((e) => e.id)].sort(compareKeys);
      for (const limit of [1, 2, 3, 5, 16, 17, 100]) {
        for (const reverse of [false, true]) {
          const tag = `limit ${limit}${reverse ? ", reverse" : ""}`;
          const viaIndex = await listAll(a, C, { index: "by", limit, reverse });
          expect(ids(viaIndex.records), `index, ${tag}`).toEqual(reverse ? expected.map((e) => e.id).reverse() : expected.map((e) => e.id));
          const viaId = await listAll(a, C, { limit, reverse });
          expect(ids(viaId.records), `ids, ${tag}`).toEqual(reverse ? [...byId].reverse() : byId);
          const withPrefix = await listAll(a, C, { index: "by", prefix: "a", limit, reverse });
          const want = expected.filter((e) => e.key.startsWith("a")).map((e) => e.id);
          expect(ids(withPrefix.records), `prefix "a", ${tag}`).toEqual(reverse ? want.reverse() : want);
        }
      }
    });

    s.clause("paging while others write: no duplicates, no gaps, order kept", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      const initial = Array.from({ length: 40 }, (_, i) => `p${String(i * 10).padStart(4, "0")}`);
      for (const id of initial) await a.transact((tx) => tx.put(C, id, { v: 0 }));
      for (const reverse of [false, true]) {
        const seen: string[] = [];
        const deleted = new Set<string>();
        let after: string | undefined;
        let round = 0;
        for (;;) {
          const page = await a.list(C, { limit: 3, reverse, ...(after !== undefined && { after }) });
          seen.push(...ids(page.records));
          if (page.cursor === undefined) break;
          after = page.cursor;
          round++;
          // Between pages: insert ids on both sides of the cursor, update seen ones, delete unseen ones.
          const last = seen[seen.length - 1]!;
          await a.transact((tx) => {
            tx.put(C, `${last}x${round}`, { v: round });
            tx.put(C, `p${String(round).padStart(4, "0")}y`, { v: round });
            tx.put(C, seen[0]!, { v: round });
          });
          const unseen = initial.filter((id) => !seen.includes(id) && !deleted.has(id));
          const victim = unseen[unseen.length - 1 - (round % 3)];
          if (victim !== undefined && round % 2 === 0) {
            await a.transact((tx) => tx.delete(C, victim));
            deleted.add(victim);
          }
        }
        const tag = reverse ? "reverse" : "forward";
        expect(new Set(seen).size, `${tag}: no record listed twice`).toBe(seen.length);
        const sorted = [...seen].sort(compareKeys);
        expect(seen, `${tag}: pages in order`).toEqual(reverse ? sorted.reverse() : sorted);
        for (const id of initial) {
          if (!deleted.has(id)) expect(seen.includes(id), `${tag}: ${id} existed throughout and was listed`).toBe(true);
        }
        for (const id of deleted) expect(seen.includes(id), `${tag}: ${id} deleted before its page`).toBe(false);
        for (const id of deleted) await a.transact((tx) => tx.put(C, id, { v: 0 }));
      }
    });

    s.clause(
      "limit bounds: 1 to 10,000 (default 100); anything else gives E_VALIDATION; a bad cursor gives E_VALIDATION",
      async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await a.transact((tx) => {
          for (let i = 0; i < 150; i++) tx.put(C, `r${String(i).padStart(3, "0")}`, { i }, { index: { by: "same" } });
        });
        const first = await a.list(C);
        expect(first.records.length, "default page size").toBe(100);
        expect(first.cursor, "more follow").toBeDefined();
        const rest = await a.list(C, { after: first.cursor! });
        expect(rest.records.length).toBe(50);
        expect(rest.records[0]!.id).toBe("r100");
        expect((await a.list(C, { limit: 10_000 })).records.length).toBe(150);
        expect((await a.list(C, { limit: 1 })).records.length).toBe(1);
        for (const limit of [0, -1, 1.5, 10_001, Number.NaN, Number.POSITIVE_INFINITY]) {
          expect(await thrownKind(() => a.list(C, { limit })), `limit ${limit}`).toBe("E_VALIDATION");
        }
        for (const after of ["not-a-cursor", "", "%%%", Buffer.from('{"x":1}').toString("base64url")]) {
          expect(await thrownKind(() => a.list(C, { after })), `cursor ${JSON.stringify(after)}`).toBe("E_VALIDATION");
        }
        // Ties on one index key are broken by id.
        expect(ids((await listAll(a, C, { index: "by", limit: 7 })).records)).toEqual(ids((await a.list(C, { limit: 150 })).records));
      },
    );

    s.clause("index entries are replaced on put, removed on put without a key and on delete", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => {
        tx.put(C, "r1", { v: 1 }, { index: { by: "k1", other: "o1" } });
        tx.put(C, "r2", { v: 2 }, { index: { by: "k2" } });
        tx.put(C, "r3", { v: 3 });
      });
      const byKeys = async (index: string): Promise<string[]> => ids((await a.list(C, { index })).records);
      expect(await byKeys("by")).toEqual(["r1", "r2"]);
      expect(await byKeys("other")).toEqual(["r1"]);
      expect(await a.count(C, { index: "by" }), "only records with a key are in an index").toBe(2);
      await a.transact((tx) => tx.put(C, "r1", { v: 10 }, { index: { by: "k9" } }));
      expect(await byKeys("by")).toEqual(["r2", "r1"]);
      expect(await a.count(C, { index: "by", prefix: "k1" }), "the old key is gone").toBe(0);
      expect(await byKeys("other"), "an index the new put does not name loses the record").toEqual([]);
      expect((await a.list(C, { index: "by", prefix: "k9" })).records[0]?.value).toEqual({ v: 10 });
      await a.transact((tx) => tx.put(C, "r2", { v: 20 }));
      expect(await byKeys("by")).toEqual(["r1"]);
      await a.transact((tx) => tx.put(C, "r3", { v: 30 }, { index: { by: "k0" } }));
      expect(await byKeys("by")).toEqual(["r3", "r1"]);
      await a.transact((tx) => tx.delete(C, "r1"));
      expect(await byKeys("by")).toEqual(["r3"]);
      expect(await a.count(C, { index: "by" })).toBe(1);
      expect(await a.count(C)).toBe(2);
      expect(ids((await a.list(C)).records)).toEqual(["r2", "r3"]);
      // Same id in another collection, same index name: independent.
      await a.transact((tx) => tx.put("items2", "r3", { v: 0 }, { index: { by: "k0" } }));
      expect(await a.count(C, { index: "by" })).toBe(1);
      expect(await a.count("items2", { index: "by" })).toBe(1);
    });

    s.clause("index names are validated at the SPI boundary: none can alias the listing by id", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => tx.put(C, "r1", { v: 1 }, { index: { by: "k1" } }));
      // "\u0000id" is the memory and file adapters' internal by-id index; the others must
      // refuse the same names, so that every adapter accepts exactly the same puts.
      for (const name of ["\u0000id", "", " by", "by\u0000", "a/b", "-x", "x".repeat(65), "\u00e9"]) {
        const kind = await thrownKind(() => a.transact((tx) => tx.put(C, "r2", { v: 2 }, { index: { [name]: "k2" } })));
        expect(kind, `index name ${JSON.stringify(name)}`).toBe("E_VALIDATION");
      }
      expect(await a.get(C, "r2"), "nothing was written by a refused put").toBeUndefined();
      expect(ids((await listAll(a, C)).records), "listing by id lists each record once").toEqual(["r1"]);
      expect(await a.count(C)).toBe(1);
      const kind = await thrownKind(() => a.transact((tx) => tx.put(C, "r3", { v: 3 }, { index: { by: 7 as unknown as string } })));
      expect(kind, "a key that is not a string").toBe("E_VALIDATION");
    });

    s.clause("index keys with a lone surrogate are refused on write by every adapter; paired surrogates list as usual", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      for (const key of ["\uD800", "a\uDC00", "\uDBFFb", "x\uDC00\uD800"]) {
        const kind = await thrownKind(() => a.transact((tx) => tx.put(C, "bad", { v: 0 }, { index: { by: key } })));
        expect(kind, `index key ${JSON.stringify(key)}`).toBe("E_VALIDATION");
      }
      expect(await a.get(C, "bad")).toBeUndefined();
      await a.transact((tx) => {
        tx.put(C, "p1", { v: 1 }, { index: { by: "a\u{1F600}" } });
        tx.put(C, "p2", { v: 2 }, { index: { by: "a\uFFFD" } });
      });
      expect(ids((await a.list(C, { index: "by", prefix: "a\u{1F600}" })).records)).toEqual(["p1"]);
      expect(ids((await a.list(C, { index: "by", prefix: "a\uFFFD" })).records)).toEqual(["p2"]);
      expect(await a.count(C, { index: "by", prefix: "a" })).toBe(2);
    });
    listOptionClauses(s);
  });
}
