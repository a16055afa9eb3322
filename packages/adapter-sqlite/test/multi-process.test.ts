import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { killChildren, runChild, sized, tempDir } from "./helpers.js";

afterEach(killChildren);

interface IncrementResult {
  done: number;
  errors: number;
  codes: Record<string, number>;
}

async function race(file: string, processes: number, count: number, mode: string): Promise<IncrementResult[]> {
  const startAt = String(Date.now() + 1500);
  const runs = Array.from(
    { length: processes },
    () => runChild("increment.mjs", [file, String(count), mode, startAt], { timeoutMs: 110_000 }).done,
  );
  const results = await Promise.all(runs);
  return results.map((r) => {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim()) as IncrementResult;
  });
}

describe("sqlite adapter across processes", () => {
  it("negative control: read-then-write in DEFERRED transactions fails with SQLITE_BUSY where IMMEDIATE does not", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/raw.db`;
      const setup = new Database(file);
      setup.pragma("journal_mode = WAL");
      setup.exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0);");
      setup.close();
      const read = () => {
        const db = new Database(file);
        const n = db.prepare("SELECT n FROM counter WHERE id = 1").pluck().get() as number;
        db.close();
        return n;
      };
      const [n, m] = [4, sized(100, 300)];

      const deferred = await race(file, n, m, "deferred");
      const deferredErrors = deferred.reduce((a, r) => a + r.errors, 0);
      const deferredDone = deferred.reduce((a, r) => a + r.done, 0);
      // Every failure is SQLITE_BUSY (the snapshot went stale: SQLITE_BUSY_SNAPSHOT), which the
      // busy timeout does not retry; the increments it refused are lost to the caller.
      expect(deferredErrors).toBeGreaterThan(0);
      for (const r of deferred) for (const code of Object.keys(r.codes)) expect(code.startsWith("SQLITE_BUSY")).toBe(true);
      expect(read()).toBe(deferredDone);
      expect(deferredDone).toBeLessThan(n * m);

      const before = read();
      const immediate = await race(file, n, m, "immediate");
      expect(immediate.reduce((a, r) => a + r.errors, 0)).toBe(0);
      expect(read() - before).toBe(n * m);
    } finally {
      cleanup();
    }
  });

  it("keeps reads fresh: another process's write is seen at once, even one that recreates a record at the same revision", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      const store = new SqliteAdapter(file);
      await store.transact((tx) => {
        tx.put("docs", "d", { v: "first" }, { index: { tag: "one" } });
        tx.put("docs", "d", { v: "first" });
      });
      // Read twice: the second read is served from the cache.
      expect((await store.get("docs", "d"))?.value).toEqual({ v: "first" });
      expect((await store.get("docs", "d"))?.value).toEqual({ v: "first" });
      const other = async (ops: unknown[]) => {
        const r = await runChild("write-once.mjs", [file, JSON.stringify(ops)], { timeoutMs: 30_000 }).done;
        expect(JSON.parse(r.stdout).ok, r.stdout + r.stderr).toBe(true);
      };
      for (let round = 0; round < sized(2, 20); round++) {
        await other([["put", "docs", "d", { v: `other ${round}` }, { tag: `t${round}` }]]);
        expect((await store.get("docs", "d"))?.value).toEqual({ v: `other ${round}` });
        expect((await store.list("docs", { index: "tag" })).records.map((r) => r.value)).toEqual([{ v: `other ${round}` }]);
        const revision = (await store.get("docs", "d"))!.revision;
        // Delete and recreate until the record is back at the cached revision with another value:
        // a cache keyed by revision alone would now serve the old value.
        await other([["del", "docs", "d"]]);
        expect(await store.get("docs", "d")).toBeUndefined();
        await other([["put", "docs", "d", { v: "recreated" }]]);
        for (let r = 2; r <= revision; r++) await other([["put", "docs", "d", { v: `again ${r}` }]]);
        const seen = await store.get("docs", "d");
        expect(seen?.revision).toBe(revision);
        expect(seen?.value).toEqual(revision === 1 ? { v: "recreated" } : { v: `again ${revision}` });
        // Inside a transaction the same holds: the read under the write lock is current.
        const inTx = await store.transact((tx) => tx.get("docs", "d")?.value);
        expect(inTx.result).toEqual(seen?.value);
      }
      await store.close();
    } finally {
      cleanup();
    }
  });

  it("a waiter behind writers that get through is not refused: 6 processes holding the lock 400 ms each, lock timeout 1 s", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      await new SqliteAdapter(file).close();
      const startAt = String(Date.now() + 2500);
      const runs = Array.from({ length: 6 }, () => runChild("slow-write.mjs", [file, "400", "1000", startAt], { timeoutMs: 60_000 }).done);
      const outcomes = (await Promise.all(runs)).map((r) => {
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout.trim()) as { ok: boolean; sequence?: number; code?: string; tried: number; at: number };
      });
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(outcomes.map((o) => o.sequence).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6]);
      // The last one waited past the lock timeout in all: only the others' progress kept it waiting.
      expect(Math.max(...outcomes.map((o) => o.at - o.tried))).toBeGreaterThan(1000);
    } finally {
      cleanup();
    }
  });

  it("waits for another process's write lock, then fails with E_LOCK_TIMEOUT, and works once it is released", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      const store = new SqliteAdapter(file, { lockTimeoutMs: 300 });
      await store.transact((tx) => tx.put("docs", "a", 1));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = runChild("hold-lock.mjs", [file, "1500"], { timeoutMs: 30_000, onLine: (l) => l === "locked" && locked() });
      await isLocked;
      await expect(store.transact((tx) => tx.put("docs", "a", 2))).rejects.toMatchObject({ code: "E_LOCK_TIMEOUT" });
      // Readers are not blocked by a writer in WAL mode.
      expect((await store.get("docs", "a"))?.value).toBe(1);
      expect((await holder.done).code).toBe(0);
      expect((await store.transact((tx) => tx.put("docs", "a", 2))).result).toBe(2);
      await store.close();
    } finally {
      cleanup();
    }
  });
});
