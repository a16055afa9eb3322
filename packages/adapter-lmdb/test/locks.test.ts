import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { killChildren, runChild, tempDir, waitForLine } from "./helpers.js";

describe("LMDB's write lock", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  // TESTPLAN "holder killed": a waiter proceeds within 2 s. LMDB's write lock is a robust mutex
  // in lock.mdb: the kernel releases it when its holder dies, and the holder's transaction,
  // never committed, leaves nothing behind.
  it("SIGKILL of the process holding the write lock: a waiting writer proceeds within 2 s; the holder's write is absent", async () => {
    const path = join(dir, "env");
    const a = await LmdbAdapter.open(path);
    await a.transact((tx) => tx.put("docs", "seed", { v: 0 }));
    await a.close();
    // The waiter opens first (opening a sub-database takes the write lock too), then waits
    // 2.5 s before writing; by then the holder has the lock.
    const waiter = runChild("waitWrite", { path, delayMs: 2500 }, { timeoutMs: 30_000 });
    await waitForLine(waiter.child, "ready");
    const writing = waitForLine(waiter.child, "writing");
    const holder = runChild("holdLock", { path });
    await waitForLine(holder.child, "locked");
    await writing;
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    holder.child.kill("SIGKILL");
    await holder.done;
    const w = await waiter.done;
    const res = w.json as { committedAt: number; holder: unknown };
    expect(w.stderr).toBe("");
    expect(res.holder).toBeNull();
    expect(res.committedAt, "the waiter was blocked until the holder died").toBeGreaterThanOrEqual(killedAt);
    expect(res.committedAt - killedAt).toBeLessThanOrEqual(2000);
    const b = await LmdbAdapter.open(path);
    expect((await b.get("docs", "waiter"))?.value).toEqual({ v: 2 });
    expect(await b.check()).toEqual({ ok: true, problems: [], repaired: [] });
    await b.close();
  });
});
