import type { BenchResult, RunResult } from "../src/types.js";
import { summarize } from "../src/stats.js";

/** The test kit's seeded PRNG (mulberry32), so "random" test samples are the same on every run. */
export { seededRandom as rng } from "@statehouse/conformance/testing";

/** Log-normal latencies around `medianMs` (latency distributions are right-skewed). */
export function latencies(random: () => number, n: number, medianMs: number, sigma = 0.3): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out.push(medianMs * Math.exp(sigma * z));
  }
  return out;
}

export function result(key: string, samples: number[], extra: Partial<BenchResult> = {}): BenchResult {
  const [adapter = "x", durability, op = "op"] = key.split("·");
  return {
    key,
    scenario: op,
    op,
    adapter,
    durability: durability === "-" ? undefined : (durability as BenchResult["durability"]),
    params: {},
    status: "ok",
    stats: summarize(samples),
    samples,
    ...extra,
  };
}

export function run(id: string, results: BenchResult[], profile = "quick"): RunResult {
  return {
    schema: 1,
    id,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    profile,
    filters: {},
    api: "domain",
    env: {
      cpu: "test cpu",
      cores: 2,
      memoryBytes: 2 ** 34,
      node: "v20.0.0",
      platform: "linux x64",
      kernel: "6",
      commit: id.slice(-7),
      dirty: false,
      storeDir: "/tmp",
    },
    results,
  };
}
