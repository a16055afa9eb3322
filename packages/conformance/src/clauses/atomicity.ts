import type { SuiteContext } from "../suite-context.js";
import { conflictRevision, errorKind, thrown } from "../util/errors.js";

const C = "atoms";

export function registerAtomicity(s: SuiteContext): void {
  s.describeGroup("atomicity", "transactions are all-or-nothing and serializable", [], () => {
    s.clause("a multi-record transaction commits every write under one sequence number", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => tx.put(C, "gone", { v: 0 }));
      const { result, sequence } = await a.transact((tx) => {
        for (let i = 0; i < 20; i++) tx.put(C, `r${i}`, { i }, { index: { by: `k${i % 3}` } });
        tx.put("other", "x", { v: 1 });
        tx.delete(C, "gone");
        return "done";
      });
      expect(result).toBe("done");
      expect(sequence).toBe(2);
      expect(await a.count(C)).toBe(20);
      expect(await a.count(C, { index: "by" })).toBe(20);
      expect((await a.get("other", "x"))?.value).toEqual({ v: 1 });
      const sets = await a.changes(1);
      expect(sets.length).toBe(1);
      expect(sets[0]!.changes.length).toBe(22);
    });

    s.clause("a throw inside the transaction rejects with that error and writes nothing", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => tx.put(C, "keep", { v: 1 }, { index: { by: "keep" } }));
      const seq = await a.sequence();
      const boom = new Error("boom");
      const err = await thrown(() =>
        a.transact((tx) => {
          tx.put(C, "keep", { v: 2 }, { index: { by: "changed" } });
          for (let i = 0; i < 10; i++) tx.put(C, `new${i}`, { i }, { index: { by: `n${i}` } });
          tx.delete(C, "keep");
          tx.put(C, "keep", { v: 3 });
          throw boom;
        }),
      );
      expect(err, "the promise rejects with the thrown error itself").toBe(boom);
      expect((await a.get(C, "keep"))?.value).toEqual({ v: 1 });
      expect((await a.get(C, "keep"))?.revision).toBe(1);
      expect(await a.get(C, "new0")).toBeUndefined();
      expect(await a.count(C)).toBe(1);
      expect((await a.list(C, { index: "by" })).records.map((r) => r.id)).toEqual(["keep"]);
      expect(await a.count(C, { index: "by", prefix: "changed" })).toBe(0);
      expect(await a.sequence()).toBe(seq);
      // The store still works after an aborted transaction.
      await a.transact((tx) => tx.put(C, "after", { ok: true }));
      expect(await a.sequence()).toBe(seq + 1);
    });

    s.clause("a failed condition inside a transaction aborts all of its writes", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => tx.put(C, "guard", { v: 1 }));
      await a.transact((tx) => tx.put(C, "guard", { v: 2 }));
      const seq = await a.sequence();
      const err = await thrown(() =>
        a.transact((tx) => {
          tx.put(C, "first", { v: 1 });
          tx.put(C, "second", { v: 1 });
          tx.put(C, "guard", { v: 3 }, { ifRevision: 1 });
        }),
      );
      expect(errorKind(err)).toBe("E_CONFLICT");
      expect(conflictRevision(err)).toBe(2);
      expect(await a.get(C, "first")).toBeUndefined();
      expect(await a.get(C, "second")).toBeUndefined();
      expect((await a.get(C, "guard"))?.value).toEqual({ v: 2 });
      expect(await a.sequence()).toBe(seq);
    });

    s.clause("a transaction reads its own writes", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => tx.put(C, "x", { v: 1 }));
      const { result } = await a.transact((tx) => {
        const before = tx.get(C, "x");
        tx.put(C, "x", { v: 2 });
        const after = tx.get(C, "x");
        tx.delete(C, "x");
        const deleted = tx.get(C, "x");
        tx.put(C, "y", { v: 9 });
        return {
          before: before?.value,
          beforeRev: before?.revision,
          after: after?.value,
          afterRev: after?.revision,
          deleted,
          y: tx.get(C, "y")?.value,
        };
      });
      expect(result).toEqual({ before: { v: 1 }, beforeRev: 1, after: { v: 2 }, afterRev: 2, deleted: undefined, y: { v: 9 } });
      expect(await a.get(C, "x")).toBeUndefined();
    });

    s.clause("concurrent read-modify-write transactions in one process lose no update (100 at once)", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      const n = 100;
      await Promise.all(
        Array.from({ length: n }, () =>
          a.transact((tx) => {
            const cur = tx.get(C, "counter");
            tx.put(C, "counter", { n: ((cur?.value as { n: number } | undefined)?.n ?? 0) + 1 });
          }),
        ),
      );
      const rec = await a.get(C, "counter");
      expect(rec?.value).toEqual({ n });
      expect(rec?.revision).toBe(n);
      expect(await a.sequence()).toBe(n);
    });
  });
}
