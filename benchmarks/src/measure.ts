import { Bench } from "tinybench";
import { IoError } from "@statehouse/core";
import { withInjectedDelay } from "./inject.js";
import { median, summarize, thin } from "./stats.js";
import type { Stats } from "./types.js";

/** This process's CPU time (user + system, every thread) in µs: getrusage, exact to the µs on Linux. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** How long tinybench measures one task. */
export interface MeasureOptions {
  /** Time budget of the measured phase (ms). */
  timeMs: number;
  /** Minimum iterations; keep it low for slow tasks (default 10). */
  iterations?: number;
  /** Warm-up budget (ms); default a third of `timeMs`. */
  warmupMs?: number;
  /** Most samples kept in the result (evenly thinned), default 1,000. */
  maxSamples?: number;
}

export interface Measurement {
  readonly stats: Stats;
  readonly samples: number[];
}

/**
 * Measures one operation in process with tinybench 6, keeping the samples (the gate's rank
 * test needs them). Throughput is 1000 / mean latency: the rate one caller achieves.
 */
export async function measure(name: string, fn: () => unknown, options: MeasureOptions): Promise<Measurement> {
  const bench = new Bench({
    time: options.timeMs,
    iterations: options.iterations ?? 10,
    warmupTime: options.warmupMs ?? Math.ceil(options.timeMs / 3),
    warmupIterations: 3,
    retainSamples: true,
    throws: true,
  });
  // The gate's measured slowdown (test-only, see inject.ts): a no-op unless the variable names `name`.
  const measured = withInjectedDelay(name, fn);
  // CPU time of each call of the measured phase (not the warm-up), taken in tinybench's
  // beforeEach/afterEach hooks, outside its timing: see `Stats.cpu`.
  const cpuPerCall: number[] = [];
  let c0 = 0;
  bench.add(name, measured, {
    beforeEach(mode) {
      if (mode === "run") c0 = cpuMicros();
    },
    afterEach(mode) {
      if (mode === "run") cpuPerCall.push(cpuMicros() - c0);
    },
  });
  const [task] = await bench.run();
  const r = task?.result;
  if (r === undefined || (r.state !== "completed" && r.state !== "aborted-with-statistics")) {
    const err = r !== undefined && r.state === "errored" ? r.error : undefined;
    throw new IoError(`benchmark task ${name} did not complete (${r?.state ?? "no result"})`, { cause: err });
  }
  const lat = r.latency;
  const samples = thin([...(lat.samples ?? [])], options.maxSamples ?? 1000);
  const stats: Stats = {
    median: lat.p50,
    p99: lat.p99,
    mean: lat.mean,
    min: lat.min,
    max: lat.max,
    throughput: lat.mean > 0 ? 1000 / lat.mean : 0,
    rme: lat.rme,
    count: lat.samplesCount,
    cpu: cpuPerCall.length > 0 ? median(cpuPerCall) / 1000 : undefined,
  };
  return { stats, samples };
}

/** Statistics of samples timed by hand (whole processes, multi-process runs). */
export function fromSamples(samples: number[], maxSamples = 1000): Measurement {
  return { stats: summarize(samples), samples: thin(samples, maxSamples) };
}
