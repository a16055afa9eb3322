import { type JsonValue, type ListOptions, type StorageAdapter, type TxContext, isStatehouseError } from "@statehouse/core";
import { MemoryAdapter } from "@statehouse/core/spi";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { sized, tempDir } from "./helpers.js";

// Hostile index keys: NUL and 0x01 (the bytes the key layout escapes), surrogate pairs (where
// UTF-16 order and code-point order differ), shared prefixes and the empty string.
const indexKeyArb = fc.oneof(
  fc.constantFrom("", "a", "a\u0000", "a\u0000b", "a\u0001", "ab", "\u0001", "\uffff", "\u{1F600}", "é", "e\u0301", "\u0000\u0000"),
  fc.string({ maxLength: 4, unit: fc.constantFrom("a", "b", "\u0000", "\u0001", "\uffff", "\u{10000}", "é") }),
);
const idArb = fc.constantFrom("a", "b", "c", "a.b", "a:1", "A", "_z", "b-2", "aa");
const valueArb: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 10 }),
  fc.record({ n: fc.integer(), s: fc.string({ maxLength: 5 }), deep: fc.array(fc.boolean(), { maxLength: 3 }) }),
);

type Op =
  | { t: "put"; id: string; value: JsonValue; index: Record<string, string>; ifRevision?: number }
  | { t: "del"; id: string }
  | { t: "batch"; ops: Array<{ id: string; value: JsonValue; del: boolean }>; fail: boolean }
  | { t: "list"; options: ListOptions; pages: number }
  | { t: "count"; index?: string; prefix?: string }
  | { t: "reopen" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        t: fc.constant("put" as const),
        id: idArb,
        value: valueArb,
        index: fc.dictionary(fc.constantFrom("k", "s"), indexKeyArb, { maxKeys: 2 }),
        ifRevision: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      },
      { requiredKeys: ["t", "id", "value", "index"] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("del" as const), id: idArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ops: fc.array(fc.record({ id: idArb, value: valueArb, del: fc.boolean() }), { maxLength: 4 }),
      fail: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("list" as const),
      options: fc.record(
        { index: fc.constantFrom("k", "s"), prefix: indexKeyArb, limit: fc.integer({ min: 1, max: 4 }), reverse: fc.boolean() },
        { requiredKeys: [] },
      ),
      pages: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("count" as const),
      index: fc.option(fc.constantFrom("k", "s"), { nil: undefined }),
      prefix: fc.option(indexKeyArb, { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: "reopen" as const }) },
);

async function outcome<T>(f: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await f() };
  } catch (err) {
    if (isStatehouseError(err)) return { error: err.code };
    return { error: `untyped ${(err as Error).message}` };
  }
}

async function step(a: StorageAdapter, op: Op): Promise<unknown> {
  switch (op.t) {
    case "put":
      return outcome(() =>
        a.transact((tx) =>
          tx.put("docs", op.id, op.value, { index: op.index, ...(op.ifRevision !== undefined && { ifRevision: op.ifRevision }) }),
        ),
      );
    case "del":
      return outcome(() => a.transact((tx) => tx.delete("docs", op.id)));
    case "batch":
      return outcome(() =>
        a.transact((tx: TxContext) => {
          for (const o of op.ops) {
            if (o.del) tx.delete("docs", o.id);
            else tx.put("docs", o.id, o.value, { index: { k: JSON.stringify(o.value).slice(0, 3) } });
          }
          if (op.fail) throw new Error("abort");
          return op.ops.length;
        }),
      );
    case "list": {
      const pages: unknown[] = [];
      let after: string | undefined;
      for (let i = 0; i < op.pages; i++) {
        const page = await outcome(() => a.list("docs", { ...op.options, ...(after !== undefined && { after }) }));
        pages.push(page);
        if (!("ok" in page) || page.ok.cursor === undefined) break;
        after = page.ok.cursor;
      }
      return pages;
    }
    case "count":
      return outcome(() =>
        a.count("docs", { ...(op.index !== undefined && { index: op.index }), ...(op.prefix !== undefined && { prefix: op.prefix }) }),
      );
    case "reopen":
      return "reopen";
  }
}

describe("model-based: the LMDB adapter answers exactly like the memory adapter", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  const variants = [
    { durability: "strict" as const },
    { durability: "relaxed" as const },
    { durability: "strict" as const, overlappingSync: true },
  ];
  for (const options of variants) {
    it(`${JSON.stringify(options)}: random command sequences with hostile index keys, paging, reverse and reopen`, async () => {
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
          const path = `${dir}/env${run++}`;
          const model = new MemoryAdapter();
          let lmdb: StorageAdapter = await LmdbAdapter.open(path, options);
          try {
            for (const op of ops) {
              if (op.t === "reopen") {
                await lmdb.close();
                lmdb = await LmdbAdapter.open(path, options);
                continue;
              }
              expect(await step(lmdb, op), JSON.stringify(op)).toEqual(await step(model, op));
            }
            expect(await lmdb.sequence()).toBe(await model.sequence());
            expect(await lmdb.changes(0)).toEqual(
              (await model.changes(0)).map((c, i) => ({
                ...c,
                at: (expect as unknown as { any: (c: unknown) => unknown }).any(String) ?? i,
              })),
            );
            const report = await (lmdb as LmdbAdapter).check();
            expect(report).toEqual({ ok: true, problems: [], repaired: [] });
          } finally {
            await lmdb.close();
          }
        }),
        { numRuns: sized(30, 1000) },
      );
    });
  }
});
