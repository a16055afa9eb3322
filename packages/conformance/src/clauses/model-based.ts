import { rmSync } from "node:fs";
import {
  type AdapterOptions,
  type IndexKeys,
  type JsonValue,
  type StorageAdapter,
  type TxContext,
  type WriteCondition,
  validateCollection,
  validateId,
} from "@statehouse/core";
import { MemoryAdapter, openAdapterUrl } from "@statehouse/core/spi";
import fc from "fast-check";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { errorKind } from "../util/errors.js";
import { allChanges, sortedEntries } from "./changes.js";
import { listAll } from "./listing.js";
import { nestedArrays } from "./values.js";

type Op =
  | { t: "put"; c: string; id: string; value: unknown; index?: IndexKeys; cond?: WriteCondition }
  | { t: "del"; c: string; id: string; cond?: WriteCondition };

type Cmd =
  | Op
  | { t: "get"; c: string; id: string }
  | { t: "list"; c: string; index?: string; prefix?: string; reverse: boolean; limit: number }
  | { t: "count"; c: string; index?: string; prefix?: string }
  | { t: "batch"; ops: Op[]; abort: boolean }
  | { t: "changes"; since: number; limit: number }
  | { t: "reopen" };

const VALID_IDS = ["a", "b", "A", "a.b", "x:1", "_z", "0", "ab", "a-b", "a@b+c"];

const collectionArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("c1", "c2") },
  { weight: 1, arbitrary: fc.constantFrom("Bad/c", "../c", "", "C1") },
);

/** Mostly valid ids (so records collide), some that the validator must refuse, some random strings. */
const idArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...VALID_IDS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "../x",
      "/etc/passwd",
      "a/../../b",
      "..\\x",
      "a\u0000b",
      "\u2024\u2024",
      "\uFF0E\uFF0E",
      "",
      ".h",
      "-d",
      "a..b",
      "x".repeat(201),
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
);

/** Index keys may be any string: non-ASCII, astral, NUL, empty. */
const keyArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom("", "a", "ab", "é", "e\u0301", "\u{1F600}", "\uFFFF", "\uE000", "Z", "a\u0000", "a\u0000b", "日本"),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
);

const indexArb: fc.Arbitrary<IndexKeys | undefined> = fc.option(fc.record({ by: keyArb, k2: keyArb }, { requiredKeys: [] }), {
  nil: undefined,
});

const condArb: fc.Arbitrary<WriteCondition | undefined> = fc.option(
  fc.oneof(fc.record({ ifRevision: fc.nat(3) }), fc.constant({ ifAbsent: true })),
  { nil: undefined, freq: 3 },
);

const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, Number.NaN, Number.POSITIVE_INFINITY, nestedArrays(70), { f: undefined }) },
);

const putArb: fc.Arbitrary<Op> = fc.record(
  { t: fc.constant("put" as const), c: collectionArb, id: idArb, value: valueArb, index: indexArb, cond: condArb },
  { requiredKeys: ["t", "c", "id", "value"] },
);
const delArb: fc.Arbitrary<Op> = fc.record(
  { t: fc.constant("del" as const), c: collectionArb, id: idArb, cond: condArb },
  { requiredKeys: ["t", "c", "id"] },
);

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: putArb },
  { weight: 3, arbitrary: delArb },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("get" as const), c: collectionArb, id: idArb }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        t: fc.constant("list" as const),
        c: collectionArb,
        index: fc.constantFrom("by", "k2"),
        prefix: fc.oneof(keyArb, fc.constantFrom("a", "x")),
        reverse: fc.boolean(),
        limit: fc.integer({ min: 1, max: 5 }),
      },
      { requiredKeys: ["t", "c", "reverse", "limit"] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      { t: fc.constant("count" as const), c: collectionArb, index: fc.constantFrom("by", "k2"), prefix: keyArb },
      { requiredKeys: ["t", "c"] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ops: fc.array(fc.oneof(putArb, delArb), { maxLength: 5 }),
      abort: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("changes" as const), since: fc.nat(25), limit: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: "reopen" as const }) },
);

function applyOp(tx: TxContext, op: Op): unknown {
  if (op.t === "put") {
    const options = { ...op.cond, ...(op.index !== undefined && { index: op.index }) };
    return tx.put(op.c, op.id, op.value as JsonValue, options);
  }
  return tx.delete(op.c, op.id, op.cond);
}

function refusedName(c: string, id?: string): boolean {
  try {
    validateCollection(c);
    if (id !== undefined) validateId(id);
    return false;
  } catch {
    return true;
  }
}

/** A read naming a refused id or collection may answer "absent" or E_INVALID_PATH: both mean "not reachable". */
const UNREACHABLE = "unreachable (absent or E_INVALID_PATH)";

interface Subject {
  adapter: StorageAdapter;
  reopen(): Promise<void>;
}

async function run(subject: Subject, cmd: Cmd): Promise<unknown> {
  const a = subject.adapter;
  try {
    switch (cmd.t) {
      case "put":
      case "del":
        return { ok: await a.transact((tx) => applyOp(tx, cmd)) };
      case "batch":
        return {
          ok: await a.transact((tx) => {
            const results = cmd.ops.map((op) => applyOp(tx, op));
            if (cmd.abort) throw new Error("batch aborted on purpose");
            return results;
          }),
        };
      case "get": {
        const r = await a.get(cmd.c, cmd.id);
        if (r === undefined && refusedName(cmd.c, cmd.id)) return UNREACHABLE;
        return { ok: r === undefined ? null : { id: r.id, collection: r.collection, revision: r.revision, value: r.value } };
      }
      case "list": {
        const { index, prefix, reverse, limit } = cmd;
        const { records } = await listAll(a, cmd.c, {
          reverse,
          limit,
          ...(index !== undefined && { index }),
          ...(prefix !== undefined && { prefix }),
        });
        if (records.length === 0 && refusedName(cmd.c)) return UNREACHABLE;
        return { ok: records.map((r) => [r.id, r.revision, r.value]) };
      }
      case "count": {
        const n = await a.count(cmd.c, {
          ...(cmd.index !== undefined && { index: cmd.index }),
          ...(cmd.prefix !== undefined && { prefix: cmd.prefix }),
        });
        if (n === 0 && refusedName(cmd.c)) return UNREACHABLE;
        return { ok: n };
      }
      case "changes":
        return { ok: (await a.changes(cmd.since, cmd.limit)).map((c) => [c.sequence, sortedEntries(c.changes)]) };
      case "reopen":
        await subject.reopen();
        return { ok: null };
    }
  } catch (err) {
    const kind = errorKind(err);
    if (
      kind === "E_INVALID_PATH" &&
      (cmd.t === "get" || cmd.t === "list" || cmd.t === "count") &&
      refusedName(cmd.c, cmd.t === "get" ? cmd.id : undefined)
    ) {
      return UNREACHABLE;
    }
    return { error: kind };
  }
}

/** The (collection, id) pairs a command writes, to read them back at once. */
function touched(cmd: Cmd): Array<[string, string]> {
  if (cmd.t === "put" || cmd.t === "del") return [[cmd.c, cmd.id]];
  if (cmd.t === "batch") return cmd.ops.map((op) => [op.c, op.id]);
  return [];
}

async function readBack(subject: Subject, pairs: Array<[string, string]>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [c, id] of pairs) out.push(await run(subject, { t: "get", c, id }));
  return out;
}

/** Everything in the store, for the final comparison. */
async function dump(a: StorageAdapter): Promise<unknown> {
  const out: Record<string, unknown> = { sequence: await a.sequence() };
  for (const c of ["c1", "c2"]) {
    for (const id of VALID_IDS) {
      const r = await a.get(c, id);
      out[`get ${c}/${id}`] = r === undefined ? null : [r.revision, r.value];
    }
  }
  for (const c of ["c1", "c2"]) {
    out[c] = (await listAll(a, c, { limit: 1000 })).records.map((r) => [r.id, r.revision, r.value]);
    for (const index of ["by", "k2"]) out[`${c}/${index}`] = (await listAll(a, c, { index, limit: 1000 })).records.map((r) => r.id);
  }
  out.changes = (await allChanges(a)).map((c) => [c.sequence, sortedEntries(c.changes)]);
  return out;
}

function describeCmd(cmd: Cmd): string {
  return JSON.stringify(cmd, (_k, v) =>
    typeof v === "string" && v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v === undefined ? "<undefined>" : v,
  );
}

async function oneRun(scope: ClauseScope, cmds: Cmd[], options: AdapterOptions): Promise<void> {
  const dir = scope.suite.freshDir("model");
  const subject: Subject = {
    adapter: await openAdapterUrl(scope.url(dir), options),
    async reopen() {
      // A store that does not persist has nothing to reopen into: the command is a no-op there.
      if (!this.adapter.capabilities.persistent) return;
      await this.adapter.close();
      this.adapter = await openAdapterUrl(scope.url(dir), options);
    },
  };
  const model: Subject = { adapter: new MemoryAdapter(options.limits === undefined ? {} : { limits: options.limits }), async reopen() {} };
  try {
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i]!;
      const got = await run(subject, cmd);
      const want = await run(model, cmd);
      scope.expect(got, `command ${i}: ${describeCmd(cmd)}`).toEqual(want);
      // Read back what the command wrote: a stale read cache shows here, not in listings.
      const pairs = touched(cmd);
      if (pairs.length > 0)
        scope.expect(await readBack(subject, pairs), `reading back after command ${i}`).toEqual(await readBack(model, pairs));
    }
    scope.expect(await dump(subject.adapter), "the whole store after the commands").toEqual(await dump(model.adapter));
  } finally {
    await subject.adapter.close().catch(() => undefined);
    await model.adapter.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function registerModelBased(s: SuiteContext): void {
  const { modelRuns, modelCommands } = s.sizes;
  s.describeGroup("model-based", "random command sequences give the same answers as the memory reference", [], () => {
    s.clause(
      `${modelRuns} fast-check runs of up to ${modelCommands} commands (put, del, get, list, count, batch, changes, reopen) with hostile ids and keys`,
      async (scope) => {
        // The subject is agreement with the reference, not durability: relaxed (where declared) keeps runs quick.
        const { caps } = await scope.suite.capabilities();
        const options = scope.adapterOptions(caps.durability.includes("relaxed") ? { durability: "relaxed" } : {});
        await fc.assert(
          fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: modelCommands }), (cmds) => oneRun(scope, cmds, options)),
          { numRuns: modelRuns },
        );
      },
    );
  });
}
