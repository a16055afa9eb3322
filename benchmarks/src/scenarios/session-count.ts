import type { BenchStore } from "../bench-store.js";
import { diskUsage } from "../disk.js";
import { sessionFixture } from "../fixtures.js";
import { measure } from "../measure.js";
import { openBenchStore } from "../open-store.js";
import { type Scenario, failedResult, floorFor, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

/**
 * Session count sweep: the first page of 50 (newest first, and filtered by status) among
 * n sessions, a creation at that size, and the disk bytes each session costs.
 */
export const sessionCountScenario: Scenario = {
  name: "session-count",
  group: "session-count",
  title: "Session count sweep",
  perAdapter: true,
  writes: true,
  ops: () => ["session-list", "session-list-active", "session-create"],
  async run(ctx): Promise<BenchResult[]> {
    const n = ctx.job.params.sessions ?? 100;
    const out: BenchResult[] = [];
    let store: BenchStore | undefined;
    try {
      store = await openBenchStore(ctx.url, { durability: ctx.job.durability });
      const s = store;
      const empty = await diskUsage(ctx.dir);
      await s.createSessions(Array.from({ length: n }, (_, i) => sessionFixture(i)));
      await s.compact();
      const persistent = ctx.adapter?.name !== "memory" && ctx.adapter?.remote !== true;
      const disk = persistent ? (await diskUsage(ctx.dir)) - empty : undefined;
      const diskExtra = disk === undefined ? {} : { diskBytes: disk, diskBytesPerSession: disk / n };
      const timeMs = ctx.job.settings.timeMs;
      const want = Math.min(50, n);
      const active = Math.min(50, Math.ceil(n / 4));
      const note = `api: ${s.api}`;
      for (const [op, fn, expected] of [
        ["session-list", () => s.listSessions(50), want],
        ["session-list-active", () => s.listSessions(50, "active"), active],
      ] as const) {
        try {
          const m = await measure(op, fn, { timeMs });
          const actual = await fn();
          out.push(
            okResult(ctx.job, op, m, {
              floor: floorFor(ctx.job, "read"),
              check: { expected, actual, ok: actual === expected },
              note,
              ...diskExtra,
            }),
          );
        } catch (err) {
          out.push(failedResult(ctx.job, op, err));
        }
      }
      try {
        let i = n;
        const m = await measure("session-create", () => s.createSession(sessionFixture(i++)), { timeMs });
        out.push(okResult(ctx.job, "session-create", m, { floor: floorFor(ctx.job, "write"), note }));
      } catch (err) {
        out.push(failedResult(ctx.job, "session-create", err));
      }
    } catch (err) {
      for (const op of this.ops(ctx.job.params)) if (!out.some((r) => r.op === op)) out.push(failedResult(ctx.job, op, err));
    } finally {
      await store?.close().catch(() => {});
    }
    return out;
  },
};
