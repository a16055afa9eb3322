import { type ChangeSet, type JsonValue, type StorageAdapter, watchChanges } from "@statehouse/core";
import { MAX_IMPORTED_SEQUENCE } from "@statehouse/core/spi";
import type { DomainStore, StateDocument } from "../domain-api.js";
import type { ChildHandle } from "../harness/child-process.js";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { seededRandom } from "../testing/seeded-random.js";
import { thrownKind } from "../util/errors.js";
import { allChanges } from "./changes.js";

interface HistoryEntry {
  readonly revision: number;
  readonly at: string | null;
  readonly size: number;
  readonly value?: JsonValue;
}

/** A state document with history (core's `StateDocumentApi`); looked up at run time like the rest of the domain API. */
interface HistoryDocument extends StateDocument {
  read(options?: { revision?: number }): Promise<{ value: JsonValue | undefined; revision: number }>;
  history(options?: { limit?: number; before?: number; values?: boolean }): Promise<HistoryEntry[]>;
  diff(from: number, to: number): Promise<JsonValue[]>;
  remove(): Promise<boolean>;
}

interface Listing {
  documents(options: { limit: number }): Promise<{ items: Array<{ name: string }> }>;
}

function withHistory(doc: StateDocument): HistoryDocument {
  const d = doc as Partial<HistoryDocument>;
  if (typeof d.history !== "function" || typeof d.diff !== "function") {
    throw new Error("this @statehouse/core's state documents have no history() and diff()");
  }
  return doc as HistoryDocument;
}

const historyOf = (store: DomainStore, name: string) => withHistory(store.state(name));

/** A JSON value of a few levels: objects (with keys that need escaping in a pointer), arrays, scalars. */
function randomValue(next: () => number, depth: number): JsonValue {
  const pick = Math.floor(next() * (depth > 0 ? 7 : 4));
  if (pick === 0) return Math.floor(next() * 100);
  if (pick === 1) return ["a", "b/c", "d~e", ""][Math.floor(next() * 4)]!;
  if (pick === 2) return next() < 0.5;
  if (pick === 3) return null;
  if (pick === 4) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth - 1));
  const out: Record<string, JsonValue> = {};
  for (const k of ["a", "b", "x/y", "t~1", "0", "n"]) if (next() < 0.5) out[k] = randomValue(next, depth - 1);
  return out;
}

async function startTogether(children: ChildHandle[]): Promise<void> {
  await Promise.all(children.map((c) => c.next("ready", 120_000)));
  for (const c of children) c.send({ cmd: "go" });
}

export function registerHistory(s: SuiteContext): void {
  s.describeGroup(
    "history",
    "state document history: the last N revisions, read by revision, diffed as JSON Patch",
    [requires.domain],
    () => {
      s.clause(
        "every kind of write records the previous revision; history keeps exactly the last N; read({ revision }) returns each kept one",
        async (scope) => {
          const { expect } = scope;
          const limit = 5;
          const store = await scope.openStore({ historyLimit: limit } as never);
          const doc = historyOf(store, "h");
          expect(await doc.history(), "a document that does not exist has no history").toEqual([]);
          const writes: Array<() => Promise<unknown>> = [
            () => doc.set("/a", 1),
            () => doc.merge({ b: { c: "x" } }),
            () => doc.patch([{ op: "add", path: "/list", value: [1, 2] }]),
            () => doc.increment("/n", 3),
            () => doc.replace({ fresh: true, n: 1 }),
            () => doc.delete("/fresh"),
            () => doc.update((cur) => ({ ...(cur as object), updated: 1 })),
            () => doc.set("/deep", { x: [{ y: 1 }] }),
            () => doc.increment("/n"),
            () => doc.merge({ deep: null }),
            () => doc.set("/s", "last but one"),
            () => doc.set("/s", "last"),
          ];
          const values = new Map<number, JsonValue>();
          for (const write of writes) {
            await write();
            const { value, revision } = await doc.read();
            values.set(revision, value!);
          }
          const current = writes.length;
          expect(await doc.revision()).toBe(current);
          const listed = await doc.history({ limit: 1000 });
          expect(
            listed.map((e) => e.revision),
            "the current revision, then exactly the last N earlier ones, newest first",
          ).toEqual(Array.from({ length: limit + 1 }, (_, i) => current - i));
          for (const e of listed) {
            expect(e.size, `size of revision ${e.revision}`).toBe(JSON.stringify(values.get(e.revision)).length);
            expect(typeof e.at, `time of revision ${e.revision}`).toBe("string");
            expect(Number.isNaN(Date.parse(e.at!)), `time of revision ${e.revision} is ISO 8601`).toBe(false);
            expect(e.value, "no values unless asked").toBeUndefined();
            expect(await doc.read({ revision: e.revision }), `read({ revision: ${e.revision} })`).toEqual({
              value: values.get(e.revision),
              revision: e.revision,
            });
          }
          for (let r = 1; r <= current - limit - 1; r++) {
            expect(await thrownKind(() => doc.read({ revision: r })), `revision ${r} is no longer kept`).toBe("E_NOT_FOUND");
          }
          expect(await thrownKind(() => doc.read({ revision: current + 1 })), "a revision not written yet").toBe("E_NOT_FOUND");
          for (const bad of [0, -1, 1.5, 1e300]) {
            expect(await thrownKind(() => doc.read({ revision: bad })), `revision ${bad}`).toBe("E_VALIDATION");
          }
          expect((await doc.history({ limit: 2 })).map((e) => e.revision)).toEqual([current, current - 1]);
          expect(
            (await doc.history({ limit: 2, before: current - 2 })).map((e) => e.revision),
            "paged back with before",
          ).toEqual([current - 3, current - 4]);
          const withValues = await doc.history({ limit: 3, values: true });
          expect(withValues.map((e) => e.value)).toEqual([values.get(current), values.get(current - 1), values.get(current - 2)]);
          for (const bad of [0, 1001, 2.5])
            expect(await thrownKind(() => doc.history({ limit: bad })), `limit ${bad}`).toBe("E_VALIDATION");
          expect(
            (await (store as unknown as Listing).documents({ limit: 100 })).items.map((d) => d.name),
            "history is not a document",
          ).toEqual(["h"]);
        },
      );

      s.clause("diff(a, b) is a JSON Patch that turns revision a into revision b, for every pair of kept revisions", async (scope) => {
        const { expect } = scope;
        const store = await scope.openStore({ historyLimit: 10 } as never);
        const doc = historyOf(store, "d");
        const scratch = store.state("scratch");
        const next = seededRandom(14);
        const values = new Map<number, JsonValue>();
        for (let i = 0; i < 8; i++) {
          const v = randomValue(next, 3);
          // Mostly objects at the root (diffed member by member), sometimes another type (replaced whole).
          const value = i % 4 === 3 ? v : { root: v, i, keep: "same" };
          const { revision } = await doc.replace(value);
          values.set(revision, value);
        }
        for (const [a, va] of values) {
          for (const [b, vb] of values) {
            const ops = await doc.diff(a, b);
            expect(Array.isArray(ops), `diff(${a}, ${b}) is an array of operations`).toBe(true);
            if (a === b) expect(ops, `diff(${a}, ${a}) is empty`).toEqual([]);
            await scratch.replace(va);
            await scratch.patch(ops as JsonValue);
            expect(await scratch.get(), `diff(${a}, ${b}) applied to revision ${a}`).toEqual(vb);
          }
        }
        expect(await thrownKind(() => doc.diff(1, 99)), "a revision that does not exist").toBe("E_NOT_FOUND");
        expect(await thrownKind(() => doc.diff(0, 1))).toBe("E_VALIDATION");
      });

      s.clause(
        "batch writes are recorded; remove() and a session's deletion delete the history; historyLimit 0 keeps none",
        async (scope) => {
          const { expect } = scope;
          const store = await scope.openStore();
          await store.sessions.create({ id: "s1" });
          const own = withHistory(store.sessionState("s1"));
          const doc = historyOf(store, "b");
          await doc.set("/n", 1);
          // Two operations on one document in one batch commit one revision: one entry, for the revision before.
          await store.batch([
            { op: "state.increment", doc: "b", pointer: "/n" },
            { op: "state.set", doc: "b", pointer: "/x", value: "batched" },
            { op: "state.set", session: "s1", pointer: "/a", value: 1 },
          ]);
          await store.batch([{ op: "state.set", session: "s1", pointer: "/a", value: 2 }]);
          expect((await doc.history()).map((e) => e.revision)).toEqual([2, 1]);
          expect(await doc.read({ revision: 1 })).toEqual({ value: { n: 1 }, revision: 1 });
          expect(await doc.read({ revision: 2 })).toEqual({ value: { n: 2, x: "batched" }, revision: 2 });
          expect(
            (await own.history()).map((e) => e.revision),
            "a session's document",
          ).toEqual([2, 1]);
          expect(await own.read({ revision: 1 })).toEqual({ value: { a: 1 }, revision: 1 });

          await store.sessions.delete("s1");
          await store.sessions.create({ id: "s1" });
          await own.set("/fresh", true);
          expect(
            (await own.history()).map((e) => e.revision),
            "the deleted session's history went with it",
          ).toEqual([1]);
          expect(await own.read({ revision: 1 })).toEqual({ value: { fresh: true }, revision: 1 });
          expect(await thrownKind(() => own.read({ revision: 2 }))).toBe("E_NOT_FOUND");

          expect(await doc.remove()).toBe(true);
          expect(await doc.history(), "a removed document").toEqual([]);
          await doc.set("/again", 1);
          expect(
            (await doc.history()).map((e) => e.revision),
            "created again: only its new revision",
          ).toEqual([1]);
          expect(await doc.read({ revision: 1 })).toEqual({ value: { again: 1 }, revision: 1 });

          const off = await scope.openStore({ historyLimit: 0 } as never);
          const quiet = historyOf(off, "b");
          await quiet.set("/again", 2);
          await quiet.set("/again", 3);
          // (A memory: store opened again is a new one: the revision is read, not assumed.)
          const rev = await quiet.revision();
          const listed = await quiet.history();
          expect(
            listed.map((e) => [e.revision, e.at]),
            "with historyLimit 0: the current revision alone, its time unknown",
          ).toEqual([[rev, null]]);
          expect(await thrownKind(() => quiet.read({ revision: rev - 1 }))).toBe("E_NOT_FOUND");
        },
      );
    },
  );

  const processes = 2;
  const increments = 30;
  s.describeGroup(
    "history-multi-process",
    "history under concurrent writers: one entry per revision, no gap",
    [requires.domain, requires.multiProcess],
    () => {
      s.clause(
        `${processes} processes × ${increments} writes of one document: history lists one entry per revision, no gap, each value right`,
        async (scope) => {
          const { expect } = scope;
          const store = await scope.openStore();
          const children = Array.from({ length: processes }, (_, writer) => scope.spawn("domain-increment", { writer, increments }));
          await startTogether(children);
          const results = await Promise.all(children.map((c) => c.result()));
          expect(results.flatMap((r) => r.errors as string[])).toEqual([]);
          const doc = historyOf(store, "counter");
          const total = processes * increments;
          expect(await doc.revision()).toBe(total);
          const listed = await doc.history({ limit: 1000, values: true });
          expect(
            listed.map((e) => e.revision),
            "the current revision and the default 20 before it",
          ).toEqual(Array.from({ length: 21 }, (_, i) => total - i));
          // Revision r holds n = r: each write added exactly 1 to the value of the revision before it.
          for (const e of listed) expect((e.value as { n?: number }).n, `value of revision ${e.revision}`).toBe(e.revision);
        },
      );
    },
  );

  s.describeGroup("restore", "TxContext.restore (import and migrate): a record written at a given revision, in one write", [], () => {
    s.clause(
      "restore writes a record at its revision where it is absent or older; refuses a revision out of range or not newer, writing nothing",
      async (scope) => {
        const { expect } = scope;
        let a: StorageAdapter = await scope.open();
        const restore = (id: string, value: JsonValue, revision: number) =>
          a.transact((tx) => {
            if (tx.restore === undefined) throw new Error(`the ${a.kind} adapter's transactions have no restore()`);
            return tx.restore("copied", id, value, revision);
          });
        const { result, sequence } = await restore("big", { n: 5_000_000 }, 5_000_000);
        expect(result).toBe(5_000_000);
        expect(await a.get("copied", "big")).toMatchObject({ revision: 5_000_000, value: { n: 5_000_000 } });
        expect((await a.changes(sequence! - 1)).at(0)?.changes, "one change entry, at the revision").toEqual([
          { type: "put", collection: "copied", id: "big", revision: 5_000_000 },
        ]);
        const before = await a.sequence();
        for (const bad of [0, -1, 1.5, 1e300, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
          expect(await thrownKind(() => restore("bad", { x: 1 }, bad)), `revision ${bad}`).toBe("E_VALIDATION");
        }
        for (const stale of [1, 5_000_000]) {
          expect(await thrownKind(() => restore("big", { n: 0 }, stale)), `revision ${stale}: not newer`).toBe("E_CONFLICT");
        }
        expect(await a.sequence(), "refused restores write nothing").toBe(before);
        expect(await a.get("copied", "bad")).toBeUndefined();
        expect((await a.get("copied", "big"))?.value).toEqual({ n: 5_000_000 });
        await restore("big", { n: 5_000_001 }, 5_000_001);
        const { result: next } = await a.transact((tx) => tx.put("copied", "big", { n: "next" }));
        expect(next, "an ordinary put continues from the restored revision").toBe(5_000_002);
        await restore("max", { n: 1 }, Number.MAX_SAFE_INTEGER);
        if (a.capabilities.persistent) {
          await scope.close(a);
          a = await scope.open();
        }
        expect((await a.get("copied", "big"))?.revision, "after reopening").toBe(5_000_002);
        expect((await a.get("copied", "max"))?.revision).toBe(Number.MAX_SAFE_INTEGER);
        const failed = await thrownKind(() =>
          a.transact((tx) => {
            tx.restore!("copied", "rolled-back", { n: 1 }, 7);
            throw Object.assign(new Error("abort"), { code: "E_TEST" });
          }),
        );
        expect(failed).not.toBe("no error");
        expect(await a.get("copied", "rolled-back"), "a restore in a failed transaction is not written").toBeUndefined();
      },
    );

    s.clause(
      "importChanges copies the retained change log: changes(since) identical, the sequence continues, a watcher resumes without reset",
      async (scope) => {
        const { expect } = scope;
        const src = await scope.open();
        const dstDir = scope.freshDir("imported");
        let dst = await scope.open({}, dstDir);
        const importChanges = (a: StorageAdapter, sets: readonly ChangeSet[], ifSequence: number) => {
          if (a.importChanges === undefined) throw new Error(`the ${a.kind} adapter has no importChanges()`);
          return a.importChanges(sets, { ifSequence });
        };
        const n = 40;
        for (let i = 1; i <= n; i++) await src.transact((tx) => tx.put("copied", `r${i % 7}`, { i }));
        // The retained part of the log, as an export carries it (a trimmed store starts past 1).
        await src.trimChanges?.(12);
        const sets = await allChanges(src, 0);
        const last = await src.sequence();
        expect(sets.at(-1)?.sequence).toBe(last);
        const records = (await src.list("copied")).records;
        await dst.transact((tx) => {
          for (const r of records) tx.restore!("copied", r.id, r.value, r.revision);
        });
        const copied = await dst.sequence();
        expect(await thrownKind(() => importChanges(dst, sets, copied + 1)), "another commit landed").toBe("E_CONFLICT");
        expect(await thrownKind(() => importChanges(dst, [], copied)), "nothing to import").toBe("E_VALIDATION");
        const gap = [sets[0]!, { ...sets[2]!, sequence: sets[0]!.sequence + 2 }];
        expect(await thrownKind(() => importChanges(dst, gap, copied)), "not consecutive").toBe("E_VALIDATION");
        const huge = [{ ...sets[0]!, sequence: MAX_IMPORTED_SEQUENCE + 1 }];
        expect(await thrownKind(() => importChanges(dst, huge, copied)), "beyond the highest sequence").toBe("E_VALIDATION");
        expect(await dst.sequence(), "refused imports change nothing").toBe(copied);
        await importChanges(dst, sets, copied);
        expect(await dst.sequence()).toBe(last);
        for (const since of [0, sets[0]!.sequence - 1, sets[0]!.sequence + 3, last - 1, last]) {
          expect(await allChanges(dst, since), `changes(${since})`).toEqual(await allChanges(src, since));
        }
        expect(await thrownKind(() => importChanges(dst, sets, copied)), "a second import, expecting the copy's sequence").toBe(
          "E_CONFLICT",
        );
        const resumeFrom = sets[0]!.sequence + 5;
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 30_000);
        const seen: { type: string; sequence: number }[] = [];
        const watching = (async () => {
          for await (const ev of watchChanges(dst, { since: resumeFrom, signal: controller.signal, pollMs: 20 })) {
            seen.push({ type: ev.type, sequence: ev.sequence });
            if (ev.type === "changes" && ev.sequence >= last + 1) break;
          }
        })();
        const { sequence } = await dst.transact((tx) => tx.put("copied", "after-import", { n: 1 }));
        expect(sequence, "the next commit takes the last imported sequence + 1").toBe(last + 1);
        await watching;
        clearTimeout(timer);
        expect(seen, "the watcher resumed from an exported sequence: no reset, every change set once, in order").toEqual(
          Array.from({ length: last + 1 - resumeFrom }, (_, k) => ({ type: "changes", sequence: resumeFrom + 1 + k })),
        );
        if (dst.capabilities.persistent) {
          await scope.close(dst);
          dst = await scope.open({}, dstDir);
          expect(await dst.sequence(), "after reopening").toBe(last + 1);
          expect((await allChanges(dst, last - 1)).map((c) => c.sequence)).toEqual([last, last + 1]);
        }
        if (dst.check !== undefined) expect((await dst.check()).problems, "the imported store checks clean").toEqual([]);
        // A crafted sequence near the highest accepted costs no more than a small one.
        const far = await scope.open({}, scope.freshDir("far"));
        const started = Date.now();
        await importChanges(far, [{ sequence: MAX_IMPORTED_SEQUENCE, at: sets[0]!.at, changes: [] }], 0);
        const next = await far.transact((tx) => tx.put("copied", "x", { n: 1 }));
        expect(next.sequence).toBe(MAX_IMPORTED_SEQUENCE + 1);
        expect((await far.changes(MAX_IMPORTED_SEQUENCE - 1)).map((c) => c.sequence)).toEqual([
          MAX_IMPORTED_SEQUENCE,
          MAX_IMPORTED_SEQUENCE + 1,
        ]);
        expect(Date.now() - started, "bounded work").toBeLessThan(10_000);
      },
    );
  });
}
