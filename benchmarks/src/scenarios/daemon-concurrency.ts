import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchServer, startBenchDaemon, startFloorServer } from "../daemon-process.js";
import { fromSamples } from "../measure.js";
import { type Scenario, failedResult, okResult, resultKey } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { type FleetResult, runFleet } from "../worker-fleet.js";
import { locateCli } from "./cli.js";
import { curl, curlMissing } from "./daemon.js";

const DAEMON_WORKER = fileURLToPath(new URL("./daemon-increment-worker.js", import.meta.url));
const FLOOR_WORKER = fileURLToPath(new URL("./http-floor-worker.js", import.meta.url));
const FLOOR_OP = "concurrent-http-floor";

/** The floor of a daemon-concurrency point: the same processes × requests against a trivial server. */
export function concurrentHttpFloorKey(params: Readonly<Record<string, number>>): string {
  return resultKey("process", undefined, FLOOR_OP, params);
}

/** The fleet's samples as one result: p50/p99 of every request, throughput over the wall time. */
function aggregate(fleet: FleetResult) {
  const samples = fleet.done.flatMap((d) => d.samples);
  const m = fromSamples(samples, 2000);
  return {
    samples,
    errors: fleet.done.reduce((a, d) => a + d.errors, 0),
    firstError: fleet.done.find((d) => d.firstError !== undefined)?.firstError,
    measurement: { ...m, stats: { ...m.stats, throughput: (samples.length / fleet.wallMs) * 1000 } },
    maxRssBytes: Math.max(0, ...fleet.done.map((d) => d.maxRssBytes)),
  };
}

/**
 * N processes × M keep-alive POSTs to a node:http server that answers `{}`: what this machine
 * gives the daemon-concurrency point before statehouse does anything (the same process count on
 * the same cores, the same client loop, warm-up and start signal). The daemon's p99 and
 * throughput are read against it.
 */
export const concurrentHttpFloorScenario: Scenario = {
  name: FLOOR_OP,
  group: "floor",
  title: "Process floor: concurrent processes making keep-alive requests to a trivial node:http server",
  perAdapter: false,
  writes: false,
  ops: () => [FLOOR_OP],
  async run(ctx): Promise<BenchResult[]> {
    const procs = ctx.job.params.procs ?? 50;
    const per = ctx.job.params.incrementsPerProc ?? 200;
    const server = await startFloorServer(join(ctx.dir, "floor.sock"));
    try {
      const fleet = await runFleet(FLOOR_WORKER, [server.socket, String(per)], procs, ctx.job.settings.childTimeoutMs * 0.8);
      const a = aggregate(fleet);
      const r = okResult(ctx.job, FLOOR_OP, a.measurement, {
        adapter: "process",
        check: { expected: procs * per, actual: a.samples.length, ok: a.errors === 0 && a.samples.length === procs * per },
        note: `${a.errors} errors${a.firstError === undefined ? "" : ` (first: ${a.firstError})`}; wall ${fleet.wallMs.toFixed(0)} ms; node:http server answering {}`,
      });
      return [{ ...r, maxRssBytes: a.maxRssBytes }];
    } catch (err) {
      return [failedResult(ctx.job, FLOOR_OP, err)];
    } finally {
      await server.stop();
    }
  },
};

/**
 * N processes × M increments of one counter through a daemon over this adapter (the remote
 * client, each process its own connection), all starting at one signal after one warm-up read
 * each. Exact or failed. Its floor: the same fleet against a trivial server.
 */
export const daemonConcurrencyScenario: Scenario = {
  name: "daemon-concurrency",
  group: "concurrency",
  title: "Concurrent processes incrementing one counter through the daemon",
  perAdapter: true,
  writes: true,
  floors: [FLOOR_OP],
  ops: () => ["daemon-concurrent-increment"],
  async run(ctx): Promise<BenchResult[]> {
    const op = "daemon-concurrent-increment";
    const procs = ctx.job.params.procs ?? 25;
    const per = ctx.job.params.incrementsPerProc ?? 200;
    const where = locateCli();
    if ("missing" in where) return [failedResult(ctx.job, op, `CLI not available: ${where.missing}`, "skipped")];
    let daemon: BenchServer | undefined;
    try {
      daemon = await startBenchDaemon(where.bin, ctx.url, join(ctx.dir, "d.sock"));
      const socket = daemon.socket;
      // The counter exists before the workers' warm-up reads it.
      const { open } = await import("@statehouse/client");
      const seed = await open(`unix:${socket}`);
      try {
        await seed.state("counter").replace({ n: 0 });
      } finally {
        await seed.close();
      }
      const fleet = await runFleet(DAEMON_WORKER, [socket, String(per)], procs, ctx.job.settings.childTimeoutMs * 0.8);
      const get = curlMissing() === undefined ? curl(socket, "GET", "/v1/state/counter?pointer=/n") : undefined;
      const actual = get !== undefined && get.status === 0 ? Number((JSON.parse(get.stdout) as { value?: unknown }).value) : Number.NaN;
      const a = aggregate(fleet);
      const expected = procs * per;
      const r = okResult(ctx.job, op, a.measurement, {
        floor: concurrentHttpFloorKey(ctx.job.params),
        check: { expected, actual, ok: actual === expected && a.errors === 0 },
        note: `${a.errors} errors${a.firstError === undefined ? "" : ` (first: ${a.firstError})`}; wall ${fleet.wallMs.toFixed(0)} ms; through statehouse serve`,
      });
      return [{ ...r, maxRssBytes: a.maxRssBytes }];
    } catch (err) {
      return [failedResult(ctx.job, op, err)];
    } finally {
      await daemon?.stop();
    }
  },
};
