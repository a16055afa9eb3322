import type { BenchStore } from "../bench-store.js";
import { documentOfSize } from "../fixtures.js";
import { measure } from "../measure.js";
import { openBenchStore } from "../open-store.js";
import { type Scenario, failedResult, floorFor, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

/**
 * Document size sweep: the simple query and a one-value update on a document of 1 KB … 10 MB,
 * where the v2 report projected 64.6 ms growing to 300 ms at 1 MB.
 */
export const docSizeScenario: Scenario = {
  name: "doc-size",
  group: "doc-size",
  title: "Document size sweep",
  perAdapter: true,
  writes: true,
  ops: () => ["doc-query", "doc-update"],
  async run(ctx): Promise<BenchResult[]> {
    const bytes = ctx.job.params.bytes ?? 1024;
    const out: BenchResult[] = [];
    let store: BenchStore | undefined;
    try {
      store = await openBenchStore(ctx.url, { durability: ctx.job.durability });
      const s = store;
      await s.setDocument("doc", documentOfSize(bytes));
      const iterations = bytes >= 1 << 20 ? 5 : 10;
      const timeMs = ctx.job.settings.timeMs;
      try {
        const m = await measure("doc-query", () => s.queryValue("doc", "/project/name"), { timeMs, iterations });
        const ok = (await s.queryValue("doc", "/project/name")) === "statehouse";
        out.push(
          okResult(ctx.job, "doc-query", m, {
            floor: floorFor(ctx.job, "read", bytes),
            check: { expected: 1, actual: ok ? 1 : 0, ok },
            note: `api: ${s.api}`,
          }),
        );
      } catch (err) {
        out.push(failedResult(ctx.job, "doc-query", err));
      }
      try {
        let i = 0;
        const m = await measure("doc-update", () => s.setValue("doc", "/counters/tokens", ++i), { timeMs, iterations });
        const actual = Number(await s.queryValue("doc", "/counters/tokens"));
        out.push(
          okResult(ctx.job, "doc-update", m, {
            floor: floorFor(ctx.job, "write", bytes),
            check: { expected: i, actual, ok: actual === i },
            note: `api: ${s.api}`,
          }),
        );
      } catch (err) {
        out.push(failedResult(ctx.job, "doc-update", err));
      }
    } catch (err) {
      for (const op of this.ops(ctx.job.params)) if (!out.some((r) => r.op === op)) out.push(failedResult(ctx.job, op, err));
    } finally {
      await store?.close().catch(() => {});
    }
    return out;
  },
};
