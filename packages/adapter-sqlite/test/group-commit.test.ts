import { type StorageAdapter, open } from "@statehouse/core";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { killChildren, runChild, tempDir } from "./helpers.js";

afterEach(killChildren);

/**
 * Group commit on SQLite (issue 11): one BEGIN IMMEDIATE…COMMIT for many logical transactions.
 * Physical commits are counted by wrapping the adapter's `transact` and `transactGroup` (the
 * store's committer calls them through the adapter object); strict durability, so each physical
 * commit is one fsync of the WAL.
 */
describe("sqlite group commit", () => {
  it("200 concurrent increments through a store with groupCommit: exact, revisions 1..200, a handful of commits; another process sees it and builds on it", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      const store = await open(`sqlite:${file}`, { groupCommit: true, durability: "strict" });
      const adapter = store.adapter as StorageAdapter & Required<Pick<StorageAdapter, "transactGroup">>;
      let commits = 0;
      const transact = adapter.transact.bind(adapter);
      const transactGroup = adapter.transactGroup.bind(adapter);
      adapter.transact = (fn) => {
        commits++;
        return transact(fn);
      };
      adapter.transactGroup = (fns, o) => {
        commits++;
        return transactGroup(fns, o);
      };
      const doc = store.state("counter");
      const results = await Promise.all(Array.from({ length: 200 }, () => doc.increment("/n")));
      const upTo200 = Array.from({ length: 200 }, (_, i) => i + 1);
      expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(upTo200);
      expect(results.map((r) => r.value).sort((a, b) => a - b)).toEqual(upTo200);
      expect(commits, "physical commits for 200 increments").toBeLessThanOrEqual(2);
      expect((await store.changes(0)).map((c) => c.sequence)).toEqual(upTo200);
      // Another process reads the group's final state, and writes after it.
      const r = await runChild("state-increment.mjs", [file], { timeoutMs: 60_000 }).done;
      expect(r.code, r.stderr).toBe(0);
      // This process's cache must notice the other process's commit.
      expect(await doc.at("/n")).toBe(201);
      expect(await doc.revision()).toBe(201);
      await store.close();
      const again = new SqliteAdapter(file);
      expect((await again.get("state", "counter"))?.revision).toBe(201);
      expect(await again.check()).toEqual({ ok: true, problems: [], repaired: [] });
      await again.close();
    } finally {
      cleanup();
    }
  });

  it("a group whose physical transaction fails (database full) commits no member and leaves the cache and the sequence as they were", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      const a = new SqliteAdapter(file, { maxPageCount: 48 });
      await a.transact((tx) => tx.put("docs", "c", { n: 1 }));
      expect((await a.get("docs", "c"))?.value).toEqual({ n: 1 });
      const big = (i: number) => ({ i, pad: "".padEnd(3000, "x") });
      const members = [
        (tx: Parameters<Parameters<SqliteAdapter["transact"]>[0]>[0]) => tx.put("docs", "c", { n: 2 }),
        ...Array.from(
          { length: 60 },
          (_, i) => (tx: Parameters<Parameters<SqliteAdapter["transact"]>[0]>[0]) => tx.put("docs", `big${i}`, big(i)),
        ),
      ];
      await expect(a.transactGroup(members)).rejects.toMatchObject({ code: "E_STORAGE_FULL" });
      expect(await a.get("docs", "c"), "the cache holds the committed record, not the group's").toMatchObject({
        revision: 1,
        value: { n: 1 },
      });
      expect(await a.sequence()).toBe(1);
      expect(await a.count("docs")).toBe(1);
      // The next group works and numbers from the committed state.
      const out = await a.transactGroup([(tx) => tx.put("docs", "c", { n: 2 }), (tx) => tx.put("docs", "c", { n: 3 })]);
      expect(out).toEqual([
        { ok: true, result: 2, sequence: 2 },
        { ok: true, result: 3, sequence: 3 },
      ]);
      await a.close();
      const b = new SqliteAdapter(file);
      expect(await b.get("docs", "c")).toMatchObject({ revision: 3, value: { n: 3 } });
      expect(await b.check()).toEqual({ ok: true, problems: [], repaired: [] });
      await b.close();
    } finally {
      cleanup();
    }
  });
});
