import { readdirSync } from "node:fs";
import type { StorageAdapter } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";
import { allChanges, sortedEntries } from "./changes.js";
import { listAll } from "./listing.js";

const C = "life";

/** Every path under `dir`, sorted (directories included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

/** Everything observable about a store, to compare before and after a reopen. */
async function observe(a: StorageAdapter): Promise<unknown> {
  const strip = (r: { id: string; revision: number; value: unknown }) => ({ id: r.id, revision: r.revision, value: r.value });
  return {
    sequence: await a.sequence(),
    byId: (await listAll(a, C, { limit: 7 })).records.map(strip),
    byIndex: (await listAll(a, C, { index: "by", limit: 5 })).records.map(strip),
    reversed: (await listAll(a, C, { index: "by", reverse: true, prefix: "k" })).records.map((r) => r.id),
    count: await a.count(C),
    countIndex: await a.count(C, { index: "by", prefix: "k1" }),
    other: await a.get("other", "o"),
    changes: (await allChanges(a)).map((c) => ({ sequence: c.sequence, at: c.at, changes: sortedEntries(c.changes) })),
  };
}

async function seed(a: StorageAdapter): Promise<void> {
  for (let i = 0; i < 30; i++)
    await a.transact((tx) => tx.put(C, `r${i}`, { i, text: `é${i}\u{1F600}` }, { index: { by: `k${i % 4}-${i}` } }));
  await a.transact((tx) => {
    tx.delete(C, "r3");
    tx.put(C, "r4", { replaced: true }, { index: { by: "z" } });
    tx.put("other", "o", [1, { two: 2 }]);
  });
}

export function registerLifecycle(s: SuiteContext): void {
  s.describeGroup("closed", "a closed store gives E_CLOSED", [], () => {
    s.clause("every operation on a closed adapter gives E_CLOSED; close() again resolves", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await a.transact((tx) => tx.put(C, "x", { v: 1 }));
      await scope.close(a);
      const ops: Array<[string, () => Promise<unknown>]> = [
        ["get", () => a.get(C, "x")],
        ["list", () => a.list(C)],
        ["count", () => a.count(C)],
        ["transact", () => a.transact((tx) => tx.put(C, "y", { v: 1 }))],
        ["read-only transact", () => a.transact((tx) => tx.get(C, "x"))],
        ["changes", () => a.changes(0)],
        ["sequence", () => a.sequence()],
      ];
      for (const [what, op] of ops) expect(await thrownKind(op), what).toBe("E_CLOSED");
      expect(await thrownKind(() => a.close()), "a second close()").toBe("no error");
    });
  });

  s.describeGroup("persistence", "data survives close and reopen", [requires.persistent], () => {
    s.clause("records, revisions, indexes, deletions and the change log survive close and reopen", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      await seed(a);
      const before = await observe(a);
      await scope.close(a);
      const b = await scope.open();
      expect(await observe(b)).toEqual(before);
      // Revisions and the sequence continue where they were.
      const { result, sequence } = await b.transact((tx) => tx.put(C, "r0", { again: true }));
      expect(result).toBe(2);
      expect(sequence).toBe(32);
      await scope.close(b);
      const c = await scope.open();
      expect((await c.get(C, "r0"))?.value).toEqual({ again: true });
      expect(await c.sequence()).toBe(32);
    });

    s.clause(
      "create: false on a location without a store is E_NOT_FOUND and creates nothing; it opens an existing store",
      async (scope) => {
        const { expect } = scope;
        const dir = scope.freshDir("create-false");
        const before = filesUnder(dir);
        expect(await thrownKind(() => scope.open({ create: false }, dir)), "open({ create: false }) of no store").toBe("E_NOT_FOUND");
        expect(filesUnder(dir), "nothing was created").toEqual(before);
        const a = await scope.open({}, dir);
        await a.transact((tx) => tx.put(C, "x", { v: 1 }));
        await scope.close(a);
        const b = await scope.open({ create: false }, dir);
        expect((await b.get(C, "x"))?.value).toEqual({ v: 1 });
      },
    );

    s.clause(
      "two adapters opened on one store see each other's writes",
      async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        const b = await scope.open();
        await a.transact((tx) => tx.put(C, "from-a", { v: 1 }));
        expect((await b.get(C, "from-a"))?.value).toEqual({ v: 1 });
        await b.transact((tx) => tx.put(C, "from-b", { v: 2 }, { index: { by: "b" } }));
        expect((await a.get(C, "from-b"))?.value).toEqual({ v: 2 });
        expect((await a.list(C, { index: "by" })).records.map((r) => r.id)).toEqual(["from-b"]);
        expect(await a.sequence()).toBe(2);
        expect(await b.sequence()).toBe(2);
      },
      { requires: [requires.multiProcess] },
    );
  });

  s.describeGroup("durability", "every declared durability mode opens, writes and reopens", [], () => {
    s.clause("each declared mode is honoured; with no durability option the first declared mode is used", async (scope) => {
      const { expect } = scope;
      const probe = await scope.open();
      const modes = probe.capabilities.durability;
      expect(modes.length, "at least one durability mode").toBeGreaterThan(0);
      await scope.close(probe);
      for (const mode of modes) {
        const dir = scope.freshDir(`durability-${mode}`);
        const a = await scope.open({ durability: mode }, dir);
        expect(a.durability, `opened with durability ${mode}`).toBe(mode);
        await a.transact((tx) => tx.put(C, "d", { mode }));
        await scope.close(a);
        if (a.capabilities.persistent) {
          const b = await scope.open({ durability: mode }, dir);
          expect((await b.get(C, "d"))?.value).toEqual({ mode });
        }
      }
      const dir = scope.freshDir("durability-default");
      const { durability: _ignored, ...withoutDurability } = scope.adapterOptions();
      const d = await openAdapterUrl(scope.url(dir), withoutDurability);
      try {
        expect(d.durability, "the default durability is the first declared").toBe(modes[0]);
      } finally {
        await d.close();
      }
    });
  });

  s.describeGroup("compaction", "compact() reclaims space and keeps every record", [requires.compaction], () => {
    s.clause("compact() after many deletions keeps the remaining records, indexes and sequence", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      expect(typeof a.compact, "an adapter declaring compaction has compact()").toBe("function");
      await a.transact((tx) => {
        for (let i = 0; i < 300; i++) tx.put(C, `r${i}`, { pad: "x".repeat(500), i }, { index: { by: `k${i}` } });
      });
      await a.transact((tx) => {
        for (let i = 0; i < 300; i++) if (i % 10 !== 0) tx.delete(C, `r${i}`);
      });
      const before = await observe(a);
      await a.compact!();
      expect(await observe(a)).toEqual(before);
    });
  });

  s.describeGroup("integrity", "check() reports a healthy store as ok", [], () => {
    s.clause(
      "an adapter declaring corruptionRecovery has check()",
      async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        expect(typeof a.check).toBe("function");
      },
      { requires: [requires.corruptionRecovery] },
    );

    s.clause(
      "check() on a healthy store is ok with no problems",
      async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await seed(a);
        const report = await a.check!();
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
        expect((await a.get(C, "r0"))?.value).toEqual({ i: 0, text: "é0\u{1F600}" });
      },
      { requires: [requires.check] },
    );
  });
}
