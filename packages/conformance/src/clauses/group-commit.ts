import type { GroupOutcome, JsonValue, StorageAdapter, TxContext, WriteCondition } from "@statehouse/core";
import { seededRandom } from "../testing/seeded-random.js";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { errorKind } from "../util/errors.js";
import { allChanges, sequenceProblem, sortedEntries } from "./changes.js";
import { listAll } from "./listing.js";

type Fn = (tx: TxContext) => unknown;

const C = "grp";
const ABORT = "conformance: member aborted on purpose";

function group(a: StorageAdapter, fns: readonly Fn[], options?: { maxSerializedLength?: number }): Promise<GroupOutcome<unknown>[]> {
  if (a.transactGroup === undefined) throw new Error(`the ${a.kind} adapter has no transactGroup`);
  return a.transactGroup(fns, options);
}

const counter = (tx: TxContext, id: string): number => (tx.get(C, id)?.value as { n?: number } | undefined)?.n ?? 0;
const increment =
  (id: string): Fn =>
  (tx) =>
    tx.put(C, id, { n: counter(tx, id) + 1 });

/** An outcome as a comparable value: the result and sequence, or the error's kind. */
function described(o: GroupOutcome<unknown>): unknown {
  return o.ok ? { ok: true, result: o.result, sequence: o.sequence } : { ok: false, error: errorKind(o.error) };
}

/** Change sets without their commit time, entries in canonical order. */
async function changeLog(a: StorageAdapter): Promise<unknown[]> {
  return (await allChanges(a, 0)).map((c) => ({ sequence: c.sequence, changes: sortedEntries(c.changes) }));
}

/** Every record of the model's collection, by id and through its index. */
async function records(a: StorageAdapter): Promise<unknown> {
  const strip = (rs: { id: string; revision: number; value: JsonValue }[]) =>
    rs.map((r) => ({ id: r.id, revision: r.revision, value: r.value }));
  return {
    byId: strip((await listAll(a, C)).records),
    byIndex: strip((await listAll(a, C, { index: "by" })).records),
  };
}

/**
 * A random member for the model-based clause: 1–3 steps on four records (increments, puts with
 * and without conditions and index keys, deletes, reads), sometimes ending in a throw.
 */
function randomMember(rnd: () => number): Fn {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const steps: ((tx: TxContext) => unknown)[] = [];
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const id = pick(["k0", "k1", "k2", "k3"]);
    const r = rnd();
    if (r < 0.35) {
      steps.push((tx) => tx.put(C, id, { n: counter(tx, id) + 1 }, { index: { by: `n${counter(tx, id) % 3}` } }));
    } else if (r < 0.6) {
      const cond: WriteCondition = rnd() < 0.5 ? {} : rnd() < 0.5 ? { ifAbsent: true } : { ifRevision: Math.floor(rnd() * 4) };
      const value = Math.floor(rnd() * 100);
      steps.push((tx) => tx.put(C, id, { v: value }, { ...cond, ...(value % 2 === 0 && { index: { by: `v${value % 5}` } }) }));
    } else if (r < 0.8) {
      const cond: WriteCondition = rnd() < 0.7 ? {} : { ifRevision: Math.floor(rnd() * 4) };
      steps.push((tx) => tx.delete(C, id, cond));
    } else {
      steps.push((tx) => tx.get(C, id)?.revision ?? 0);
    }
  }
  const aborts = rnd() < 0.12;
  return (tx) => {
    const out = steps.map((step) => step(tx));
    if (aborts) throw new Error(ABORT);
    return out;
  };
}

export function registerGroupCommit(s: SuiteContext): void {
  const { processes, increments } = s.sizes.lostUpdate;
  s.describeGroup(
    "group-commit",
    "transactGroup(): members commit together, each its own transaction (sequence, revisions, errors)",
    [requires.transactGroup],
    () => {
      s.clause("consecutive sequences, one change set per writing member, revisions +1 per member", async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await a.transact((tx) => tx.put(C, "c", { n: 5 }));
        const base = await a.sequence();
        const outcomes = await group(a, [
          (tx) => tx.put(C, "a", { x: 1 }),
          (tx) => tx.get(C, "c")?.revision,
          increment("c"),
          increment("c"),
          (tx) => tx.put(C, "b", { y: 1 }),
        ]);
        expect(outcomes.map(described)).toEqual([
          { ok: true, result: 1, sequence: base + 1 },
          { ok: true, result: 1, sequence: undefined },
          { ok: true, result: 2, sequence: base + 2 },
          { ok: true, result: 3, sequence: base + 3 },
          { ok: true, result: 1, sequence: base + 4 },
        ]);
        expect(await a.sequence()).toBe(base + 4);
        const c = await a.get(C, "c");
        expect({ revision: c?.revision, value: c?.value }, "the record ends at the last member's write").toEqual({
          revision: 3,
          value: { n: 7 },
        });
        const sets = (await changeLog(a)).slice(1);
        expect(sets).toEqual([
          { sequence: base + 1, changes: [{ type: "put", collection: C, id: "a", revision: 1 }] },
          { sequence: base + 2, changes: [{ type: "put", collection: C, id: "c", revision: 2 }] },
          { sequence: base + 3, changes: [{ type: "put", collection: C, id: "c", revision: 3 }] },
          { sequence: base + 4, changes: [{ type: "put", collection: C, id: "b", revision: 1 }] },
        ]);
        // A later transaction, in this process and after reopening, builds on the group's final state.
        await a.transact(increment("c"));
        expect((await a.get(C, "c"))?.revision).toBe(4);
        if (a.capabilities.persistent) {
          await scope.close(a);
          const b = await scope.open();
          expect((await b.get(C, "c"))?.value).toEqual({ n: 8 });
          expect(await b.sequence()).toBe(base + 5);
        }
      });

      s.clause("a member that throws, or whose condition an earlier member broke, is rolled back alone", async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await a.transact((tx) => tx.put(C, "r", { v: 0 }));
        const base = await a.sequence();
        const outcomes = await group(a, [
          (tx) => tx.put(C, "r", { v: 1 }, { ifRevision: 1 }),
          (tx) => {
            tx.put(C, "gone", { v: "never" });
            tx.put(C, "r", { v: "never" });
            throw new Error(ABORT);
          },
          // Written against revision 1, which the first member moved on: a conflict carrying 2.
          (tx) => tx.put(C, "r", { v: 2 }, { ifRevision: 1 }),
          (tx) => tx.put(C, "r", { v: 3 }, { ifRevision: 2 }),
          (tx) => tx.put(C, "bad", { v: Number.NaN }),
        ]);
        expect(outcomes.map(described)).toEqual([
          { ok: true, result: 2, sequence: base + 1 },
          { ok: false, error: "untyped Error: conformance: member aborted on purpose" },
          { ok: false, error: "E_CONFLICT" },
          { ok: true, result: 3, sequence: base + 2 },
          { ok: false, error: "E_VALIDATION" },
        ]);
        const conflict = outcomes[2] as { ok: false; error: { details?: { currentRevision?: unknown } } };
        expect(conflict.error.details?.currentRevision, "the conflict names the revision the earlier member wrote").toBe(2);
        expect(await a.get(C, "gone"), "the thrown member's writes vanished").toBeUndefined();
        expect(await a.get(C, "bad")).toBeUndefined();
        const r = await a.get(C, "r");
        expect({ revision: r?.revision, value: r?.value }).toEqual({ revision: 3, value: { v: 3 } });
        expect(await a.sequence(), "failed members take no sequence").toBe(base + 2);
        expect(sequenceProblem(await allChanges(a, 0), 1, base + 2)).toBeUndefined();
        const only = await group(a, [
          () => {
            throw new Error(ABORT);
          },
        ]);
        expect(only.map(described)).toEqual([{ ok: false, error: "untyped Error: conformance: member aborted on purpose" }]);
        expect(await a.sequence(), "a group whose only member throws commits nothing").toBe(base + 2);
      });

      s.clause("a member reads what earlier members wrote; deletes and re-creations inside a group", async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await a.transact((tx) => {
          tx.put(C, "old", { v: 1 }, { index: { by: "x" } });
        });
        const base = await a.sequence();
        const outcomes = await group(a, [
          (tx) => tx.put(C, "new", { v: 1 }, { index: { by: "y" } }),
          (tx) => [tx.get(C, "new")?.value, tx.get(C, "new")?.revision],
          (tx) => tx.delete(C, "old"),
          (tx) => [tx.get(C, "old"), tx.put(C, "old", { v: 2 }, { ifAbsent: true, index: { by: "z" } })],
          (tx) => tx.delete(C, "new"),
          (tx) => tx.get(C, "new") === undefined,
          (tx) => tx.put(C, "tmp", { v: 1 }),
          (tx) => tx.delete(C, "tmp", { ifRevision: 1 }),
        ]);
        expect(outcomes.map(described)).toEqual([
          { ok: true, result: 1, sequence: base + 1 },
          { ok: true, result: [{ v: 1 }, 1], sequence: undefined },
          { ok: true, result: true, sequence: base + 2 },
          { ok: true, result: [undefined, 1], sequence: base + 3 },
          { ok: true, result: true, sequence: base + 4 },
          { ok: true, result: true, sequence: undefined },
          { ok: true, result: 1, sequence: base + 5 },
          { ok: true, result: true, sequence: base + 6 },
        ]);
        expect((await changeLog(a)).slice(1)).toEqual([
          { sequence: base + 1, changes: [{ type: "put", collection: C, id: "new", revision: 1 }] },
          { sequence: base + 2, changes: [{ type: "delete", collection: C, id: "old", revision: 1 }] },
          { sequence: base + 3, changes: [{ type: "put", collection: C, id: "old", revision: 1 }] },
          { sequence: base + 4, changes: [{ type: "delete", collection: C, id: "new", revision: 1 }] },
          { sequence: base + 5, changes: [{ type: "put", collection: C, id: "tmp", revision: 1 }] },
          { sequence: base + 6, changes: [{ type: "delete", collection: C, id: "tmp", revision: 1 }] },
        ]);
        expect(await records(a)).toEqual({
          byId: [{ id: "old", revision: 1, value: { v: 2 } }],
          byIndex: [{ id: "old", revision: 1, value: { v: 2 } }],
        });
        expect(await a.count(C, { index: "by", prefix: "x" }), "the re-created record's old index entry is gone").toBe(0);
      });

      s.clause("maxSerializedLength: the members past the bound are not run and get no outcome; the first always runs", async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        const big = "x".repeat(100); // 102 characters of JSON text per put
        const puts = [0, 1, 2, 3].map(
          (i): Fn =>
            (tx) =>
              tx.put(C, `m${i}`, big),
        );
        const outcomes = await group(a, puts, { maxSerializedLength: 150 });
        expect(
          outcomes.map((o) => o.ok),
          "two members run: 102 < 150 after the first, 204 ≥ 150 after the second",
        ).toEqual([true, true]);
        expect(await a.get(C, "m2"), "a member not run wrote nothing").toBeUndefined();
        const first = await group(a, puts.slice(2), { maxSerializedLength: 1 });
        expect(first.length, "the first member runs whatever the bound").toBe(1);
        expect((await a.get(C, "m2"))?.revision).toBe(1);
      });

      s.clause("model: seeded random members run in random groups ≡ the same run one transact at a time", async (scope) => {
        const { expect } = scope;
        for (const seed of [1, 2, 3, 4, 5]) {
          const grouped = await scope.open({}, scope.freshDir(`grouped-${seed}`));
          const sequential = await scope.open({}, scope.freshDir(`sequential-${seed}`));
          const rnd = seededRandom(seed);
          const got: unknown[] = [];
          const want: unknown[] = [];
          for (let done = 0; done < 150; ) {
            const size = 1 + Math.floor(rnd() * 8);
            const fns = Array.from({ length: size }, () => randomMember(rnd));
            done += size;
            got.push(...(await group(grouped, fns)).map(described));
            for (const fn of fns) {
              try {
                const r = await sequential.transact(fn);
                want.push(described({ ok: true, result: r.result, sequence: r.sequence }));
              } catch (error) {
                want.push(described({ ok: false, error }));
              }
            }
          }
          expect(got, `outcomes, seed ${seed}`).toEqual(want);
          expect(await records(grouped), `records, seed ${seed}`).toEqual(await records(sequential));
          expect(await changeLog(grouped), `change logs, seed ${seed}`).toEqual(await changeLog(sequential));
          await scope.close(grouped);
          await scope.close(sequential);
        }
      });

      s.clause(
        `${processes / 2} processes committing grouped increments beside ${processes / 2} incrementing directly: exact, gapless`,
        async (scope) => {
          const { expect } = scope;
          const half = Math.max(1, Math.floor(processes / 2));
          const grouped = Array.from({ length: half }, () => scope.spawn("group-increment", { increments, concurrent: 16 }));
          const direct = Array.from({ length: half }, () => scope.spawn("increment", { increments }));
          const all = [...grouped, ...direct];
          await Promise.all(all.map((c) => c.next("ready", 120_000)));
          for (const c of all) c.send({ cmd: "go" });
          const results = await Promise.all(all.map((c) => c.result()));
          const errors = results.flatMap((r) => r.errors as string[]);
          const expected = 2 * half * increments;
          expect(errors, "errors surfaced to the children").toEqual([]);
          const a = await scope.open();
          const c = await a.get("counter", "c");
          expect((c?.value as { n?: number } | undefined)?.n, "final counter").toBe(expected);
          expect(c?.revision, "one revision per increment").toBe(expected);
          expect(await a.sequence(), "one sequence per increment").toBe(expected);
          const from = Math.max(1, expected - a.capabilities.changeRetention + 1);
          expect(sequenceProblem(await allChanges(a, from - 1), from, expected)).toBeUndefined();
          // Each grouped increment saw its own value and took its own sequence, none shared.
          const values = results.slice(0, half).flatMap((r) => r.values as number[]);
          const sequences = results.slice(0, half).flatMap((r) => r.sequences as number[]);
          expect(new Set(values).size, "distinct values written by grouped increments").toBe(half * increments);
          expect(new Set(sequences).size, "distinct sequences of grouped increments").toBe(half * increments);
        },
        { requires: [requires.multiProcess] },
      );
    },
  );
}
