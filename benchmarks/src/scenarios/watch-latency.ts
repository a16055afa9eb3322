import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { IoError, open } from "@statehouse/core";
import { fromSamples } from "../measure.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

const WRITER = fileURLToPath(new URL("./watch-writer.js", import.meta.url));
const WRITES = 300;
const GAP_MS = 7;

/**
 * Commit → delivery: a writer process commits one write every few milliseconds; this process
 * watches the store (`store.watch()`, default poll) and times each change set from the writer's
 * acknowledgement to its delivery here. Both clocks are the machine's wall clock. A delivery can
 * precede the writer's acknowledgement (the commit is visible before the writer's promise
 * resolves); such samples count as 0 ms. The check: every write delivered once, in order.
 */
export const watchLatencyScenario: Scenario = {
  name: "watch-latency",
  group: "operation",
  title: "Watch: commit → delivery to a watcher in another process",
  perAdapter: true,
  writes: false,
  ops: () => ["watch-delivery"],
  async run(ctx): Promise<BenchResult[]> {
    const store = await open(ctx.url, ctx.job.durability === undefined ? {} : { durability: ctx.job.durability });
    const child = fork(WRITER, [ctx.url, ctx.job.durability ?? "", String(WRITES), String(GAP_MS)], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const controller = new AbortController();
    try {
      if (!store.adapter.capabilities.multiProcess)
        return [failedResult(ctx.job, "watch-delivery", `${ctx.adapter?.name} is a single-process adapter`, "skipped")];
      const acks = new Promise<Array<[number, number]>>((resolve, reject) => {
        child.on("message", (m: { type: string; acks?: Array<[number, number]>; message?: string }) => {
          if (m.type === "ready") child.send("go");
          if (m.type === "done") resolve(m.acks!);
          if (m.type === "error") reject(new IoError(`watch writer: ${m.message}`));
        });
        child.once("exit", (code) => {
          if (code !== 0) reject(new IoError(`watch writer exited with ${code}: ${stderr.trim()}`));
        });
      });
      const timer = setTimeout(() => controller.abort(), ctx.job.settings.childTimeoutMs * 0.8);
      const delivered = new Map<number, number>();
      const order: number[] = [];
      const watching = (async () => {
        for await (const ev of store.watch({ since: await store.sequence(), signal: controller.signal })) {
          if (ev.type !== "changes") continue;
          delivered.set(ev.sequence, performance.timeOrigin + performance.now());
          order.push(ev.sequence);
          if (order.length >= WRITES) break;
        }
      })();
      const acked = await acks;
      await watching;
      clearTimeout(timer);
      const samples = acked.map(([seq, t]) => Math.max(0, (delivered.get(seq) ?? Number.NaN) - t));
      const inOrder = order.every((s, i) => i === 0 || s === order[i - 1]! + 1);
      const complete = samples.every((s) => Number.isFinite(s));
      return [
        okResult(ctx.job, "watch-delivery", fromSamples(samples.filter(Number.isFinite), 2000), {
          check: { expected: WRITES, actual: complete && inOrder ? order.length : -1, ok: complete && inOrder && order.length === WRITES },
          note: `${WRITES} writes ${GAP_MS} ms apart by another process; default poll (10 ms)`,
        }),
      ];
    } catch (err) {
      return [failedResult(ctx.job, "watch-delivery", err)];
    } finally {
      controller.abort();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await store.close();
    }
  },
};
