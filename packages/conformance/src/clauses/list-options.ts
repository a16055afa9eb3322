import type { CountOptions, ListOptions, StorageAdapter } from "@statehouse/core";
import type { SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";

const C = "items";

/** Collections a listing may name: one with records, one never written, and names no adapter stores. */
const COLLECTIONS = [C, "nothing-here", "Not-A-Collection", "bad\u0000name"];

/** Options that are not a page, cursor, direction, index name or prefix (cast: callers in JavaScript can pass anything). */
const BAD_LIST: ReadonlyArray<[string, unknown]> = [
  ["limit 0", { limit: 0 }],
  ["limit -1", { limit: -1 }],
  ["limit 2.5", { limit: 2.5 }],
  ["limit 10,001", { limit: 10_001 }],
  ["limit NaN", { limit: Number.NaN }],
  ["limit Infinity", { limit: Number.POSITIVE_INFINITY }],
  ['limit "10"', { limit: "10" }],
  ["cursor not base64 JSON", { after: "not-a-cursor" }],
  ["cursor empty", { after: "" }],
  ["cursor of the wrong shape", { after: Buffer.from('{"x":1}').toString("base64url") }],
  ["cursor a number", { after: 7 }],
  ['reverse "yes"', { reverse: "yes" }],
  ["reverse 1", { reverse: 1 }],
  ["options null", null],
];

/** Bad for a count as much as for a listing. */
const BAD_BOTH: ReadonlyArray<[string, unknown]> = [
  ['index ""', { index: "" }],
  ['index "\\u0000id" (the internal by-id index of two adapters)', { index: "\u0000id" }],
  ['index "a/b"', { index: "a/b" }],
  ["index a number", { index: 7 }],
  ["prefix a number (by id)", { prefix: 7 }],
  ["prefix a number (by index)", { index: "by", prefix: 7 }],
  ["prefix with a lone surrogate (by index)", { index: "by", prefix: "a\uD800" }],
];

async function snapshot(a: StorageAdapter): Promise<unknown> {
  return { page: (await a.list(C, { limit: 10_000 })).records.map((r) => [r.id, r.revision]), count: await a.count(C) };
}

/** The listing group's clauses on the read side's options, validated alike by every adapter. */
export function listOptionClauses(s: SuiteContext): void {
  {
    const refusedTitle =
      "list and count refuse a bad page size, cursor, direction, index name or prefix with E_VALIDATION, whatever the collection";
    s.clause(refusedTitle, async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => {
        for (let i = 0; i < 5; i++) tx.put(C, `r${i}`, { i }, { index: { by: `k${i}` } });
      });
      const before = await snapshot(a);
      for (const collection of COLLECTIONS) {
        const where = `collection ${JSON.stringify(collection)}`;
        for (const [label, options] of [...BAD_LIST, ...BAD_BOTH]) {
          expect(await thrownKind(() => a.list(collection, options as ListOptions)), `list, ${label}, ${where}`).toBe("E_VALIDATION");
        }
        for (const [label, options] of BAD_BOTH) {
          const kind = await thrownKind(() => a.count(collection, options as CountOptions));
          expect(kind, `count, ${label}, ${where}`).toBe("E_VALIDATION");
        }
        const kind = await thrownKind(() => a.count(collection, null as unknown as CountOptions));
        expect(kind, `count, options null, ${where}`).toBe("E_VALIDATION");
      }
      expect(await snapshot(a), "a refused read changed nothing").toEqual(before);
    });

    const edgesTitle =
      "the edges of what is valid are accepted alike: limit 1 and 10,000, reverse false, an empty prefix, a prefix no id can have";
    s.clause(edgesTitle, async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => {
        for (let i = 0; i < 5; i++) tx.put(C, `r${i}`, { i }, { index: { by: `k${i}` } });
      });
      const ids = async (options: ListOptions) => (await a.list(C, options)).records.map((r) => r.id);
      expect(await ids({ limit: 1 })).toEqual(["r0"]);
      expect(await ids({ limit: 10_000, reverse: false })).toEqual(["r0", "r1", "r2", "r3", "r4"]);
      expect(await ids({ index: "by", prefix: "", reverse: true, limit: 2 })).toEqual(["r4", "r3"]);
      // Ids are ASCII: a non-ASCII or ill-formed prefix of ids matches nothing anywhere (not an error).
      for (const prefix of ["\u00e9", "r\uD800", "\u{1F600}"]) {
        expect(await ids({ prefix }), `id prefix ${JSON.stringify(prefix)}`).toEqual([]);
        expect(await a.count(C, { prefix }), `count, id prefix ${JSON.stringify(prefix)}`).toBe(0);
      }
      expect(await a.count(C, { index: "by", prefix: "k" })).toBe(5);
      expect(await a.count("nothing-here", { index: "by" })).toBe(0);
    });
  }
}
