import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { IoError, LockTimeoutError } from "@statehouse/core";
import type { WorkerDone } from "../worker-loop.js";
import { fromSamples } from "../measure.js";
import { openBenchStore } from "../open-store.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

const WORKER = fileURLToPath(new URL("./increment-worker.js", import.meta.url));

interface Fleet {
  readonly children: ChildProcess[];
  readonly done: WorkerDone[];
  readonly stderr: string[];
}

function waitFor<T>(what: string, timeoutMs: number, fn: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LockTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    fn(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * N processes increment one counter M times each, all starting at one signal. The final count
 * must be exactly N×M: a run that loses an update is a failed run, not a slow one.
 */
export const concurrencyScenario: Scenario = {
  name: "concurrency",
  group: "concurrency",
  title: "Concurrent processes incrementing one counter",
  perAdapter: true,
  writes: true,
  ops: () => ["concurrent-increment"],
  async run(ctx): Promise<BenchResult[]> {
    const procs = ctx.job.params.procs ?? 1;
    const per = ctx.job.params.incrementsPerProc ?? 100;
    const durability = ctx.job.durability;
    const fleet: Fleet = { children: [], done: [], stderr: [] };
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
      const ready: Promise<void>[] = [];
      const finished: Promise<void>[] = [];
      for (let i = 0; i < procs; i++) {
        const child = fork(WORKER, [ctx.url, durability ?? "", String(per)], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
        fleet.children.push(child);
        let err = "";
        child.stderr?.on("data", (d: Buffer) => {
          err = (err + d.toString()).slice(-2000);
        });
        ready.push(
          waitFor(`worker ${i} to open the store`, timeout, (resolve, reject) => {
            child.on("message", (m: { type: string; message?: string }) => {
              if (m.type === "ready") resolve();
              if (m.type === "error") reject(new IoError(`worker ${i}: ${m.message}`));
            });
            child.once("exit", (code) => reject(new IoError(`worker ${i} exited (${code}) before it was ready: ${err.trim()}`)));
          }),
        );
        finished.push(
          waitFor(`worker ${i} to finish`, timeout, (resolve, reject) => {
            child.on("message", (m: WorkerDone | { type: "error"; message: string }) => {
              if (m.type === "done") fleet.done.push(m);
              if (m.type === "error") reject(new IoError(`worker ${i}: ${m.message}`));
            });
            child.once("exit", (code, signal) => {
              if (code === 0) resolve();
              else reject(new IoError(`worker ${i} exited with ${code ?? signal}: ${err.trim()}`));
            });
          }),
        );
      }
      await Promise.all(ready);
      const t0 = performance.now();
      for (const c of fleet.children) c.send("go");
      await Promise.all(finished);
      const wallMs = performance.now() - t0;

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
    } finally {
      for (const c of fleet.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    }
  },
};
