import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LmdbAdapter, type LmdbAdapterOptions } from "@statehouse/adapter-lmdb";
import { killChildren, runChild, sized, tempDir } from "./helpers.js";

// The conformance suite runs the lost-update clause in the default configuration; these are the
// other write paths: relaxed (no flush in the commit) and overlappingSync (flush after the lock).
const PROCS = sized(4, 16);
const EACH = sized(50, 200);

describe("lost update in the other write configurations", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  const configs: LmdbAdapterOptions[] = [
    { durability: "relaxed" },
    { durability: "strict", overlappingSync: true },
    { durability: "relaxed", overlappingSync: true },
  ];
  for (const options of configs) {
    it(`${JSON.stringify(options)}: ${PROCS} processes × ${EACH} increments = ${PROCS * EACH}`, async () => {
      const path = join(dir, `env-${configs.indexOf(options)}`);
      const a = await LmdbAdapter.open(path, options);
      const runs = Array.from({ length: PROCS }, () => runChild("increment", { path, n: EACH, options }, { timeoutMs: 120_000 }).done);
      const results = await Promise.all(runs);
      for (const r of results) expect(r.json, r.stderr).toEqual({ errors: 0 });
      expect((await a.get("counters", "c"))?.value).toEqual({ n: PROCS * EACH });
      expect(await a.sequence()).toBe(PROCS * EACH);
      expect(await a.check()).toEqual({ ok: true, problems: [], repaired: [] });
      await a.close();
    });
  }
});
