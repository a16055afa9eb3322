import type { StorageAdapter, WriteCondition } from "@statehouse/core";
import type { SuiteContext } from "../suite-context.js";
import { conflictRevision, errorKind, thrown } from "../util/errors.js";

const C = "revs";

async function put(a: StorageAdapter, id: string, value: number, cond: WriteCondition = {}): Promise<number> {
  return (await a.transact((tx) => tx.put(C, id, { value }, cond))).result;
}

export function registerRevisions(s: SuiteContext): void {
  s.describeGroup("revisions", "start at 1, +1 per committed write, conditional writes, no-op transactions", [], () => {
    s.clause("a new record has revision 1 and every committed write adds exactly 1", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      for (let i = 1; i <= 5; i++) {
        expect(await put(a, "r", i), `write ${i} returns its revision`).toBe(i);
        const rec = await a.get(C, "r");
        expect(rec?.revision).toBe(i);
        expect(rec?.value).toEqual({ value: i });
        expect(rec?.collection).toBe(C);
        expect(rec?.id).toBe("r");
      }
      // Several writes of one record in one transaction are one committed write.
      const { result } = await a.transact((tx) => {
        const r1 = tx.put(C, "r", { value: 6 });
        const r2 = tx.put(C, "r", { value: 7 });
        return [r1, r2, tx.get(C, "r")?.revision];
      });
      expect(result).toEqual([6, 6, 6]);
      expect((await a.get(C, "r"))?.revision).toBe(6);
      expect((await a.get(C, "r"))?.value).toEqual({ value: 7 });
      // Another record's writes do not move this one's revision.
      await put(a, "other", 1);
      expect((await a.get(C, "r"))?.revision).toBe(6);
    });

    s.clause("a deleted record is absent; written again in a later transaction it starts over at 1", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await put(a, "d", 1);
      await put(a, "d", 2);
      expect((await a.transact((tx) => tx.delete(C, "d"))).result).toBe(true);
      expect(await a.get(C, "d")).toBeUndefined();
      expect(await put(a, "d", 3)).toBe(1);
      // Deleted and written again within one transaction, it continues from the committed revision.
      const { result } = await a.transact((tx) => {
        tx.delete(C, "d");
        return tx.put(C, "d", { value: 4 });
      });
      expect(result).toBe(2);
      expect((await a.get(C, "d"))?.revision).toBe(2);
    });

    s.clause("ifRevision: matching writes, a mismatch gives E_CONFLICT carrying currentRevision and changes nothing", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await put(a, "c", 1);
      await put(a, "c", 2);
      expect(await put(a, "c", 3, { ifRevision: 2 })).toBe(3);
      const seq = await a.sequence();
      for (const wrong of [0, 1, 2, 4, 99]) {
        const err = await thrown(() => put(a, "c", 100, { ifRevision: wrong }));
        expect(errorKind(err), `ifRevision ${wrong}`).toBe("E_CONFLICT");
        expect(conflictRevision(err), `ifRevision ${wrong}: currentRevision`).toBe(3);
        const delErr = await thrown(() => a.transact((tx) => tx.delete(C, "c", { ifRevision: wrong })));
        expect(errorKind(delErr), `delete ifRevision ${wrong}`).toBe("E_CONFLICT");
        expect(conflictRevision(delErr)).toBe(3);
      }
      expect((await a.get(C, "c"))?.value).toEqual({ value: 3 });
      expect(await a.sequence(), "failed conditions take no sequence number").toBe(seq);
      // On an absent record: ifRevision 0 means "only if absent".
      const absent = await thrown(() => put(a, "none", 1, { ifRevision: 1 }));
      expect(errorKind(absent)).toBe("E_CONFLICT");
      expect(conflictRevision(absent), "an absent record's currentRevision is 0").toBe(0);
      expect(await put(a, "none", 1, { ifRevision: 0 })).toBe(1);
      expect((await a.transact((tx) => tx.delete(C, "c", { ifRevision: 3 }))).result).toBe(true);
      expect(await a.get(C, "c")).toBeUndefined();
    });

    s.clause("ifAbsent: creates once, then E_CONFLICT carrying currentRevision", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      expect(await put(a, "once", 1, { ifAbsent: true })).toBe(1);
      const seq = await a.sequence();
      const err = await thrown(() => put(a, "once", 2, { ifAbsent: true }));
      expect(errorKind(err)).toBe("E_CONFLICT");
      expect(conflictRevision(err)).toBe(1);
      await put(a, "once", 2);
      const err2 = await thrown(() => a.transact((tx) => tx.delete(C, "once", { ifAbsent: true })));
      expect(errorKind(err2)).toBe("E_CONFLICT");
      expect(conflictRevision(err2)).toBe(2);
      expect((await a.get(C, "once"))?.value).toEqual({ value: 2 });
      expect(await a.sequence()).toBe(seq + 1);
    });

    s.clause("a transaction that writes nothing takes no sequence number", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await put(a, "x", 1);
      const seq = await a.sequence();
      const readOnly = await a.transact((tx) => tx.get(C, "x")?.value);
      expect(readOnly.result).toEqual({ value: 1 });
      expect(readOnly.sequence, "a read-only transaction").toBeUndefined();
      const putThenDelete = await a.transact((tx) => {
        tx.put(C, "brand-new", { value: 1 });
        return tx.delete(C, "brand-new");
      });
      expect(putThenDelete.result).toBe(true);
      expect(putThenDelete.sequence, "a put then delete of a new record").toBeUndefined();
      const deleteAbsent = await a.transact((tx) => tx.delete(C, "never"));
      expect(deleteAbsent.result).toBe(false);
      expect(deleteAbsent.sequence, "a delete of an absent record").toBeUndefined();
      const empty = await a.transact(() => 42);
      expect(empty).toEqual({ result: 42, sequence: undefined });
      expect(await a.sequence()).toBe(seq);
      expect(await a.changes(seq)).toEqual([]);
      expect(await a.get(C, "brand-new")).toBeUndefined();
      const next = await a.transact((tx) => tx.put(C, "x", { value: 2 }));
      expect(next.sequence, "the next committed write takes the next number").toBe(seq + 1);
    });
  });
}
