import { openAdapter } from "@statehouse/adapter-postgres";
import { type TempDir, tempDir } from "@statehouse/conformance/testing";
import type { StorageAdapter, TxContext } from "@statehouse/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CutPoint, CommitCuttingProxy } from "./commit-cutting-proxy.js";
import { clientConfig, createTestDatabase, skipReason, withDatabase } from "./helpers.js";

// A connection lost around a commit, made to happen exactly there (a proxy between the adapter and
// the real server cuts it) rather than by chance in a crash loop: the adapter cannot know whether
// its commit landed, retries, and must apply the transaction exactly once either way.

const reason = skipReason();

describe.skipIf(reason !== undefined)("a connection lost around a commit (real server, cut by a proxy)", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let tmp: TempDir;
  let proxy: CommitCuttingProxy;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tmp = tempDir("pg-proxy");
    const target = clientConfig(db.url);
    proxy = await CommitCuttingProxy.start(tmp.dir, target.host!, target.port ?? 5432);
    // The same database, reached through the proxy's socket directory.
    url = withDatabase(db.url, db.name, { host: proxy.socketDir });
  });
  afterAll(async () => {
    await proxy?.stop();
    await db?.drop();
    tmp?.cleanup();
  });

  const increment = (a: StorageAdapter, id: string) =>
    a.transact((tx) => {
      const n = (tx.get("c", id)?.value as { n: number } | undefined)?.n ?? 0;
      tx.put("c", id, { n: n + 1 });
      return n + 1;
    });

  // The optimistic path (one statehouse_commit statement) and the counter-locked path
  // (lockAfterConflicts 0: the commit and COMMIT in one simple-query message).
  it.each<[string, number | undefined, CutPoint, string]>([
    ["optimistic", undefined, "before-commit", "the commit never reached the server: the retry commits it"],
    ["optimistic", undefined, "after-commit", "the commit landed and its answer was lost: the retry finds it by its token"],
    ["locked", 0, "before-commit", "the commit never reached the server: the retry commits it"],
    ["locked", 0, "after-commit", "the commit landed and its answer was lost: the re-run's result and writes are dropped"],
  ])("%s path, %j → %s: %s", async (path, lockAfterConflicts, point, _why) => {
    const a = await openAdapter(url, {
      lockTimeoutMs: 20_000,
      ...(lockAfterConflicts === undefined ? {} : { lockAfterConflicts }),
    });
    const id = `x-${path}-${point}`;
    try {
      expect((await increment(a, id)).result).toBe(1);
      const before = await a.sequence();
      const cuts = proxy.cuts;
      proxy.arm(point);
      // The result and sequence are those of the run that committed: 2, never 3.
      expect(await increment(a, id)).toEqual({ result: 2, sequence: before + 1 });
      expect(proxy.cuts, "the proxy cut the commit's connection").toBe(cuts + 1);
      expect((await a.get("c", id))?.value).toEqual({ n: 2 });
      expect(await a.sequence()).toBe(before + 1);
      const changes = await a.changes(before);
      expect(changes.map((c) => c.sequence)).toEqual([before + 1]);
      expect(changes[0]!.changes).toHaveLength(1);
      // This process's cache holds what landed, not what a re-run would have written.
      expect((await a.transact((tx) => tx.get("c", id)?.value)).result).toEqual({ n: 2 });
    } finally {
      await a.close();
    }
    // A fresh connection (not through the adapter's cache) sees the same.
    const b = await openAdapter(db.url);
    try {
      expect((await b.get("c", id))?.value).toEqual({ n: 2 });
    } finally {
      await b.close();
    }
  });

  it.each<CutPoint>(["before-commit", "after-commit"])(
    "a group commit, %s: each member applied once, the outcomes those of the group that committed",
    async (point) => {
      const a = await openAdapter(url, { lockTimeoutMs: 20_000 });
      const ids = [`g-${point}-1`, `g-${point}-2`];
      try {
        for (const id of ids) await increment(a, id);
        const before = await a.sequence();
        const cuts = proxy.cuts;
        proxy.arm(point);
        const bump = (id: string) => (tx: TxContext) => {
          const n = (tx.get("c", id)!.value as { n: number }).n;
          tx.put("c", id, { n: n + 1 });
          return n + 1;
        };
        const outcomes = await a.transactGroup!(ids.map(bump));
        expect(proxy.cuts, "the proxy cut the group's connection").toBe(cuts + 1);
        expect(outcomes).toEqual([
          { ok: true, result: 2, sequence: before + 1 },
          { ok: true, result: 2, sequence: before + 2 },
        ]);
        expect(await a.sequence()).toBe(before + 2);
        for (const id of ids) expect((await a.get("c", id))?.value).toEqual({ n: 2 });
      } finally {
        await a.close();
      }
    },
  );
});
