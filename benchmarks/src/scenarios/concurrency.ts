import { fileURLToPath } from "node:url";
import { fromSamples } from "../measure.js";
import { openBenchStore } from "../open-store.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { runFleet } from "../worker-fleet.js";
import { COMMIT_FLOOR_OP, concurrentCommitFloorKey } from "./concurrent-commit-floor.js";

const WORKER = fileURLToPath(new URL("./increment-worker.js", import.meta.url));

/**
 * N processes increment one counter M times each, all starting at one signal. The final count
 * must be exactly N×M (each worker makes one untimed read first): a run that loses an update is a failed run, not a slow one.
 */
export const concurrencyScenario: Scenario = {
  name: "concurrency",
  group: "concurrency",
  title: "Concurrent processes incrementing one counter",
  perAdapter: true,
  writes: true,
  floors: [COMMIT_FLOOR_OP],
  ops: () => ["concurrent-increment"],
  async run(ctx): Promise<BenchResult[]> {
    const procs = ctx.job.params.procs ?? 1;
    const per = ctx.job.params.incrementsPerProc ?? 100;
    const durability = ctx.job.durability;
    try {
      const init = await openBenchStore(ctx.url, { durability });
      try {
        if (!init.multiProcess)
          return [failedResult(ctx.job, "concurrent-increment", `${ctx.adapter?.name} is a single-process adapter`, "skipped")];
        await init.setDocument("counter", { n: 0 });
      } finally {
        await init.close();
      }
      const timeout = ctx.job.settings.childTimeoutMs * 0.8;
      const fleet = await runFleet(WORKER, [ctx.url, durability ?? "", String(per)], procs, timeout);
      const wallMs = fleet.wallMs;

      const check = await openBenchStore(ctx.url, { durability });
      let actual: number;
      try {
        actual = Number(await check.queryValue("counter", "/n"));
      } finally {
        await check.close();
      }
      const samples = fleet.done.flatMap((d) => d.samples);
      const errors = fleet.done.reduce((a, d) => a + d.errors, 0);
      const m = fromSamples(samples, 2000);
      const expected = procs * per;
      const aggregate = { ...m, stats: { ...m.stats, throughput: (samples.length / wallMs) * 1000 } };
      const r = okResult(ctx.job, "concurrent-increment", aggregate, {
        // A store on this machine's disk against the same machine's counter file under a kernel lock
        // (a server's store, PostgreSQL's, commits elsewhere: no local floor).
        floor: ctx.adapter?.remote === true ? undefined : concurrentCommitFloorKey(procs, durability),
        check: { expected, actual, ok: actual === expected && errors === 0 },
        note: `${errors} errors; wall ${wallMs.toFixed(0)} ms; api: ${check.api}`,
      });
      const maxRss = Math.max(0, ...fleet.done.map((d) => d.maxRssBytes));
      const firstError = fleet.done.find((d) => d.firstError !== undefined)?.firstError;
      return [
        {
          ...r,
          maxRssBytes: maxRss,
          reason:
            r.status === "failed" ? `${r.reason}${errors > 0 ? `; ${errors} increments failed, first: ${firstError}` : ""}` : undefined,
        },
      ];
    } catch (err) {
      return [failedResult(ctx.job, "concurrent-increment", err)];
    }
  },
};
