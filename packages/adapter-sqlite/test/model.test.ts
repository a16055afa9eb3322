import { type ListOptions, type StorageAdapter, type TxContext, isStatehouseError } from "@statehouse/core";
import { MemoryAdapter } from "@statehouse/core/spi";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { sized, tempDir } from "./helpers.js";

// Hostile index keys: NUL, the 1/2/3/4-byte UTF-8 boundaries, U+FFFF; short, so that prefixes and
// ties between keys are frequent. Lone surrogates and invalid index names are refused at the SPI
// boundary now (the conformance listing clauses check that on every adapter), so none are generated.
const CHARS = ["a", "b", "\u0000", "\u007f", "\u0080", "é", "\uffff", "😀", "\ue000"];
const hostileKey = fc.array(fc.constantFrom(...CHARS), { maxLength: 3 }).map((a) => a.join(""));
const collection = fc.constantFrom("docs", "sessions");
const id = fc.constantFrom("a", "b", "ab", "a.b", "A", "0", "a-1", "z:9");
const indexName = fc.constantFrom("status", "s.x", "by");
const value = fc.jsonValue({ maxDepth: 2 });
// Mostly unconditional, so that stores fill up; sometimes a condition that may fail.
const condition = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.oneof(fc.record({ ifRevision: fc.integer({ min: 0, max: 3 }) }), fc.constant({ ifAbsent: true })) },
);

type Write =
  | { op: "put"; c: string; id: string; value: unknown; index: Record<string, string>; cond: object | undefined }
  | { op: "del"; c: string; id: string; cond: object | undefined };
const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({
    op: fc.constant("put" as const),
    c: collection,
    id,
    value,
    index: fc.dictionary(indexName, hostileKey, { maxKeys: 2 }),
    cond: condition,
  }),
  fc.record({ op: fc.constant("del" as const), c: collection, id, cond: condition }),
);

type Command =
  | { op: "tx"; writes: Write[]; abort: boolean }
  | { op: "concurrent"; txs: Write[][] }
  | { op: "get"; c: string; id: string }
  | { op: "list"; c: string; options: ListOptions; forged: [string, string] | undefined }
  | { op: "count"; c: string; index: string | undefined; prefix: string | undefined }
  | { op: "changes"; since: number; limit: number }
  | { op: "reopen" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("tx" as const),
      writes: fc.array(write, { minLength: 1, maxLength: 4 }),
      abort: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    }),
  },
  // Transactions started together without awaiting each other, as callers interleaving awaits do.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("concurrent" as const),
      txs: fc.array(fc.array(write, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 6 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("get" as const), c: collection, id }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("list" as const),
      c: collection,
      options: fc.record(
        {
          index: fc.constantFrom("status", "s.x", "by", "status", "status"),
          prefix: fc.oneof(hostileKey, fc.constantFrom("a", "A", "z", "é")),
          limit: fc.integer({ min: 1, max: 4 }),
          reverse: fc.boolean(),
        },
        { requiredKeys: ["limit"] },
      ),
      forged: fc.option(fc.tuple(fc.oneof(hostileKey, id), id), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("count" as const),
      c: collection,
      index: fc.option(indexName, { nil: undefined }),
      prefix: fc.option(hostileKey, { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("changes" as const),
      since: fc.integer({ min: 0, max: 30 }),
      limit: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
);

class Abort extends Error {}

function txFn(writes: Write[], abort: boolean) {
  return (tx: TxContext) => {
    const out: unknown[] = [];
    for (const w of writes) {
      if (w.op === "put") out.push(tx.put(w.c, w.id, w.value as never, { ...w.cond, index: w.index }));
      else out.push(tx.delete(w.c, w.id, w.cond));
      out.push(tx.get(w.c, w.id));
    }
    if (abort) throw new Abort("rolled back on purpose");
    return out;
  };
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await p };
  } catch (err) {
    if (err instanceof Abort) return { error: "abort" };
    if (isStatehouseError(err)) return { error: err.code };
    throw err;
  }
}

/** Every page of a listing, following cursors, as (records, cursor) pairs. */
async function pages(a: StorageAdapter, c: string, options: ListOptions) {
  const out = [];
  let after = options.after;
  for (let i = 0; i < 50; i++) {
    const page = await a.list(c, { ...options, ...(after !== undefined && { after }) });
    out.push(page);
    if (page.cursor === undefined) break;
    after = page.cursor;
  }
  return out;
}

const dirs: (() => void)[] = [];
afterAll(() => {
  for (const d of dirs) d();
});

describe("sqlite adapter against the memory adapter (model-based)", () => {
  it(
    "gives the same answers for random command sequences with hostile keys",
    async () => {
      const { dir, cleanup } = tempDir();
      dirs.push(cleanup);
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 40, size: "max" }), async (commands) => {
          const file = `${dir}/m${n++}.db`;
          const model = new MemoryAdapter();
          let real: SqliteAdapter = new SqliteAdapter(file, { durability: "relaxed" });
          try {
            for (const cmd of commands) {
              switch (cmd.op) {
                case "tx":
                  expect(await outcome(real.transact(txFn(cmd.writes, cmd.abort)))).toEqual(
                    await outcome(model.transact(txFn(cmd.writes, cmd.abort))),
                  );
                  break;
                case "concurrent": {
                  const run = (a: StorageAdapter) => Promise.all(cmd.txs.map((w) => outcome(a.transact(txFn(w, false)))));
                  expect(await run(real)).toEqual(await run(model));
                  break;
                }
                case "get":
                  expect(await real.get(cmd.c, cmd.id)).toEqual(await model.get(cmd.c, cmd.id));
                  break;
                case "list": {
                  const options = { ...cmd.options };
                  if (cmd.forged !== undefined) options.after = Buffer.from(JSON.stringify(cmd.forged)).toString("base64url");
                  expect(await pages(real, cmd.c, options)).toEqual(await pages(model, cmd.c, options));
                  break;
                }
                case "count": {
                  const options = {
                    ...(cmd.index !== undefined && { index: cmd.index }),
                    ...(cmd.prefix !== undefined && { prefix: cmd.prefix }),
                  };
                  expect(await real.count(cmd.c, options)).toBe(await model.count(cmd.c, options));
                  break;
                }
                case "changes": {
                  const strip = (sets: { sequence: number; changes: readonly unknown[] }[]) =>
                    sets.map((s) => ({ sequence: s.sequence, changes: s.changes }));
                  expect(strip(await real.changes(cmd.since, cmd.limit))).toEqual(strip(await model.changes(cmd.since, cmd.limit)));
                  expect(await real.sequence()).toBe(await model.sequence());
                  break;
                }
                case "reopen":
                  await real.close();
                  real = new SqliteAdapter(file, { durability: "relaxed" });
                  break;
              }
            }
            expect((await real.check()).ok).toBe(true);
          } finally {
            await real.close();
          }
        }),
        { numRuns: sized(100, 2000) },
      );
    },
    sized(120_000, 1_800_000),
  );
});
