import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Durability } from "@statehouse/core";
import { fromSamples } from "../measure.js";
import { type Scenario, failedResult, okResult, resultKey } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { runFleet } from "../worker-fleet.js";

/** The worker's counter width (fixed-width decimal text); the worker module runs on import, so not imported. */
const COUNTER_WIDTH = 20;
const WORKER = fileURLToPath(new URL("./commit-floor-worker.js", import.meta.url));
export const COMMIT_FLOOR_OP = "concurrent-commit-floor";
/** Increments per process of the floor, whatever the swept count of the rows it is the floor of. */
const FLOOR_INCREMENTS = 200;

/** The floor of a concurrency row with `procs` processes in durability `durability`. */
export function concurrentCommitFloorKey(procs: number, durability: Durability | undefined): string {
  return resultKey("process", undefined, COMMIT_FLOOR_OP, { procs, fsync: durability === "relaxed" ? 0 : 1 });
}

/**
 * N processes × 200 increments of one counter file, taking turns in a fair ring (a token passed
 * from process to process through FIFOs: no polling, only the next in line woken), each a read and
 * an overwrite in place, fdatasync'ed when strict: what this
 * machine gives a durable shared counter among N processes before statehouse does anything. The
 * concurrency rows (one process per writer, each committing on its own) are read against it: with
 * N processes on 2 cores, a turn costs a wake-up, a scheduling slot and an fsync, and a waiter sits
 * through the turns of those ahead of it, so its p99 bounds what any cross-process lock can give.
 */
export const concurrentCommitFloorScenario: Scenario = {
  name: COMMIT_FLOOR_OP,
  group: "floor",
  title: "Process floor: concurrent processes incrementing a counter file under a kernel lock",
  perAdapter: false,
  writes: true,
  ops: () => [COMMIT_FLOOR_OP],
  async run(ctx): Promise<BenchResult[]> {
    const procs = ctx.job.params.procs ?? 25;
    const fsync = ctx.job.params.fsync ?? 1;
    const ring = join(ctx.dir, "turn-");
    const counter = join(ctx.dir, "counter.txt");
    const fds: number[] = [];
    try {
      for (let i = 0; i < procs; i++) execFileSync("mkfifo", ["-m", "600", `${ring}${i}`]);
      writeFileSync(counter, "0".padStart(COUNTER_WIDTH), { mode: 0o600 });
      // Held open for the run, so that a token written to a finished worker's FIFO never blocks.
      for (let i = 0; i < procs; i++) fds.push(openSync(`${ring}${i}`, "r+"));
      writeSync(fds[0]!, Buffer.alloc(1));
      const fleet = await runFleet(
        WORKER,
        [ring, counter, String(FLOOR_INCREMENTS), String(fsync), String(procs)],
        procs,
        ctx.job.settings.childTimeoutMs * 0.8,
        (i) => [String(i)],
      );
      const samples = fleet.done.flatMap((d) => d.samples);
      const m = fromSamples(samples, 2000);
      const actual = Number(readFileSync(counter, "latin1").trim());
      const expected = procs * FLOOR_INCREMENTS;
      const r = okResult(
        ctx.job,
        COMMIT_FLOOR_OP,
        { ...m, stats: { ...m.stats, throughput: (samples.length / fleet.wallMs) * 1000 } },
        {
          adapter: "process",
          check: { expected, actual, ok: actual === expected },
          note: `${fsync === 1 ? "overwrite in place + fdatasync" : "overwrite in place"} in a fair ring of FIFOs (a token passed from process to process); wall ${fleet.wallMs.toFixed(0)} ms`,
        },
      );
      return [{ ...r, maxRssBytes: Math.max(0, ...fleet.done.map((d) => d.maxRssBytes)) }];
    } catch (err) {
      return [failedResult(ctx.job, COMMIT_FLOOR_OP, err)];
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  },
};
