import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { inTmpfs } from "@statehouse/conformance/testing";
import { killChildren, runChild, tempDir, waitForLine } from "./helpers.js";

describe("faults", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  it("a full disk: E_STORAGE_FULL, every record still readable, 0 unhandled rejections", async () => {
    const mount = join(dir, "full");
    mkdirSync(mount, { mode: 0o700 });
    const r = await runChild("diskFull", { path: join(mount, "env") }, { wrap: inTmpfs(mount, "2m"), timeoutMs: 60_000 }).done;
    // LMDB's native code reports the failed page write on stderr itself; nothing else may appear.
    expect(r.stderr.replace(/Write error: No space left on device position \d+, size \d+/g, "")).toBe("");
    const res = r.json as { full: string; written: number; readable: number; count: number; again: string; unhandled: number };
    expect(res.full).toBe("E_STORAGE_FULL");
    expect(res.written).toBeGreaterThan(0);
    expect(res.again).toBe("E_STORAGE_FULL");
    expect(res.readable).toBe(res.written);
    expect(res.count).toBe(res.written);
    expect(res.unhandled).toBe(0);
  });

  it("control (lmdb-js issue 368): lmdb-js's own asynchronous put on a full disk leaves unhandled rejections even when caught — the path the adapter never takes", async () => {
    const mount = join(dir, "raw");
    mkdirSync(mount, { mode: 0o700 });
    const r = await runChild("rawFull", { path: join(mount, "env") }, { wrap: inTmpfs(mount, "2m"), timeoutMs: 60_000 }).done;
    const res = r.json as { failed: number; hadCommitError: number; unhandled: number };
    expect(res.failed).toBe(1);
    expect(res.hadCommitError).toBe(1);
    expect(res.unhandled).toBeGreaterThanOrEqual(1);
  });

  it("two processes with different sync flags: the second gets E_CONFIG, and the store is unchanged", async () => {
    const path = join(dir, "flags");
    const holder = runChild("hold", { path, options: {} });
    await waitForLine(holder.child, "ready");
    const other = await runChild("open", { path, options: { overlappingSync: true } }, { timeoutMs: 20_000 }).done;
    expect(other.json).toMatchObject({ kind: "E_CONFIG" });
    expect((other.json as { message: string }).message).toContain("overlappingSync");
    const same = await runChild("open", { path, options: { durability: "relaxed" } }, { timeoutMs: 20_000 }).done;
    expect(same.json, "durability is per process, not a flag of the environment").toEqual({ kind: "no error" });
    holder.child.kill("SIGKILL");
    await holder.done;
    const a = await LmdbAdapter.open(path);
    expect(await a.check()).toEqual({ ok: true, problems: [], repaired: [] });
    await a.close();
    // Alone, a process may change the flags; then the old ones are the odd ones out.
    const switched = await LmdbAdapter.open(path, { overlappingSync: true });
    const back = await runChild("open", { path, options: {} }, { timeoutMs: 20_000 }).done;
    expect(back.json).toMatchObject({ kind: "E_CONFIG" });
    await switched.close();
  });
});
