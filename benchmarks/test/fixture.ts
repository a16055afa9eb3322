import { fillRatios } from "../src/harness.js";
import type { BenchResult, RunResult } from "../src/types.js";
import { latencies, result, rng, run } from "./helpers.js";

/** A small but complete run: floors, operations, a doc-size sweep, a concurrency sweep, a CLI timing, a failure. */
export function fixtureRun(id = "2026-11-28T05-40-00Z-abc1234", seed = 1): RunResult {
  const r = rng(seed);
  const s = (median: number, n = 50) => latencies(r, n, median, 0.2);
  const withScenario = (x: BenchResult, scenario: string, params: Record<string, number> = {}): BenchResult => ({ ...x, scenario, params });
  const results: BenchResult[] = [
    withScenario(result("floor·-·floor:fs-write-fsync-rename·bytes=1024", s(0.4)), "floors", { bytes: 1024 }),
    withScenario(result("floor·-·floor:map-get·bytes=1024", s(0.00005)), "floors", { bytes: 1024 }),
    withScenario(result("process·-·node-e-0·", s(40, 10)), "process-floor"),
    withScenario(result("memory·-·state-query·", s(0.0009), { floor: "floor·-·floor:map-get·bytes=1024" }), "state-query"),
    withScenario(result("file·strict·state-update·", s(0.6), { floor: "floor·-·floor:fs-write-fsync-rename·bytes=1024" }), "state-update"),
    {
      key: "sqlite·strict·state-update·",
      scenario: "state-update",
      op: "state-update",
      adapter: "sqlite",
      durability: "strict",
      params: {},
      status: "failed",
      reason: "E_CONFIG: the adapter package @statehouse/adapter-sqlite is not installed",
    },
  ];
  for (const bytes of [1024, 102400, 1048576]) {
    for (const adapter of ["memory", "file"]) {
      const d = adapter === "file" ? "strict" : "-";
      results.push(
        withScenario(result(`${adapter}·${d}·doc-query·bytes=${bytes}`, s(0.001 * (bytes / 1024) ** 0.5)), "doc-size", { bytes }),
      );
    }
  }
  for (const procs of [1, 5, 25]) {
    const x = result(`file·strict·concurrent-increment·incrementsPerProc=200,procs=${procs}`, s(0.5 * procs, 200));
    results.push({
      ...withScenario(x, "concurrency", { procs, incrementsPerProc: 200 }),
      stats: { ...x.stats!, throughput: 3000 / Math.sqrt(procs) },
      check: { expected: procs * 200, actual: procs * 200, ok: true },
    });
  }
  results.push(withScenario(result("file·strict·cli-state-get·", s(45, 10), { floor: "process·-·node-e-0·" }), "cli"));
  results.push(withScenario(result("file·strict·daemon-cli-state-get·", s(44, 10), { floor: "process·-·node-e-0·" }), "daemon"));
  results.push(withScenario(result("file·strict·daemon-curl-state-get·", s(12, 10)), "daemon"));
  results.push(withScenario(result("v2·-·python-floor·", s(20, 10)), "v2-peer"));
  results.push(withScenario(result("v2·-·v2-state-query·", s(90, 10), { floor: "v2·-·python-floor·" }), "v2-peer"));
  results.push(
    withScenario(
      result("file·strict·session-list·sessions=10000", s(0.3), { diskBytes: 12_000_000, diskBytesPerSession: 1200 }),
      "session-count",
      { sessions: 10000 },
    ),
  );
  fillRatios(results);
  return run(id, results);
}
