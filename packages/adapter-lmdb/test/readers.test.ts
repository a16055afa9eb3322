import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { killChildren, runChild, sized, tempDir, waitForLine } from "./helpers.js";

describe("reader slots", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  const KILLS = sized(24, 300);
  it(`${KILLS} processes holding reader slots killed with SIGKILL (more than maxReaders, 16): the store still opens and reads`, async () => {
    const path = join(dir, "env");
    const maxReaders = 16;
    const a = await LmdbAdapter.open(path, { maxReaders });
    await a.transact((tx) => tx.put("docs", "x", { v: 1 }));
    await a.close();
    const BATCH = 8;
    for (let done = 0; done < KILLS; done += BATCH) {
      const batch = Array.from({ length: BATCH }, () => runChild("hold", { path, options: { maxReaders } }, { timeoutMs: 30_000 }));
      await Promise.all(batch.map((b) => waitForLine(b.child, "ready")));
      for (const b of batch) b.child.kill("SIGKILL");
      await Promise.all(batch.map((b) => b.done));
    }
    // Without clearing the dead processes' slots, the 17th reader would get MDB_READERS_FULL.
    const opened = await Promise.all(Array.from({ length: 4 }, () => LmdbAdapter.open(path, { maxReaders })));
    for (const o of opened) expect((await o.get("docs", "x"))?.value).toEqual({ v: 1 });
    for (const o of opened) await o.close();
    const r = await runChild("probe", { path, options: { maxReaders } }, { timeoutMs: 20_000 }).done;
    expect(r.json).toMatchObject({ open: "no error", check: { ok: true } });
  });
});
