import { readdirSync } from "node:fs";
import { join } from "node:path";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { WAIT_IDLE_NAME, WAIT_TICKET_NAME } from "@statehouse/core/spi";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killChildren, runChild, sized, tempDir } from "./helpers.js";

// The process mutex queues contended writers (waiters/ in the store directory): many processes
// hammering one counter must still lose nothing, apply nothing twice, and leave no ticket behind.
describe("lmdb adapter: the fair write queue in front of the process mutex", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  it("12 processes incrementing one counter: no increment lost or applied twice, none refused, no ticket left", async () => {
    const [procs, each] = [12, sized(40, 200)];
    const path = join(dir, "many");
    const a = await LmdbAdapter.open(path);
    try {
      const runs = Array.from({ length: procs }, () => runChild("increment", { path, n: each }, { timeoutMs: 170_000 }).done);
      const results = await Promise.all(runs);
      for (const r of results) expect(r.json, r.stderr).toEqual({ errors: 0 });
      expect((await a.get("counters", "c"))?.value).toEqual({ n: procs * each });
      expect(await a.sequence()).toBe(procs * each);
      // Contended writers did queue, and gave their tickets back (idle files are removed at close).
      const left = readdirSync(join(path, "waiters"));
      expect(left.filter((n) => WAIT_TICKET_NAME.test(n))).toEqual([]);
      expect(left.filter((n) => WAIT_IDLE_NAME.test(n))).toEqual([]);
    } finally {
      await a.close();
    }
  });
});
