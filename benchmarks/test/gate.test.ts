import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir, runChild } from "@statehouse/conformance/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareRuns, formatGateReport } from "../src/gate.js";
import type { BenchResult, RunResult } from "../src/types.js";
import { latencies, result, rng, run } from "./helpers.js";

const FLOOR = "floor·-·floor:fs-write-fsync-rename·bytes=1024";
const KEYS = ["file·strict·state-update·", "sqlite·strict·state-update·", "lmdb·strict·session-create·", "file·strict·session-list·"];

/** A synthetic run: a floor and four results, each `scale` × its nominal speed, floors × `floorScale`. */
function synthetic(seed: number, scale: Record<string, number> = {}, floorScale = 1, n = 300): RunResult {
  const r = rng(seed);
  const results: BenchResult[] = [result(FLOOR, latencies(r, n, 0.25 * floorScale))];
  for (const [i, key] of KEYS.entries()) {
    results.push(result(key, latencies(r, n, (0.4 + i * 0.1) * floorScale * (scale[key] ?? 1)), { floor: FLOOR }));
  }
  return run(`run-${seed}`, results);
}

describe("regression gate", () => {
  it("fails on a known 60 % regression and names it with its numbers", () => {
    const report = compareRuns(synthetic(1), synthetic(2, { [KEYS[1]!]: 1.6 }));
    expect(report.passed).toBe(false);
    expect(report.regressions.map((c) => c.key)).toEqual([KEYS[1]]);
    const c = report.regressions[0]!;
    expect(c.change).toBeGreaterThan(0.4);
    expect(c.p).toBeLessThan(1e-6);
    expect(c.normalizedBy).toBe(FLOOR);
    const text = formatGateReport(report);
    expect(text).toContain(`REGRESSION ${KEYS[1]}`);
    expect(text).toMatch(/\+\d+\.\d %, p = /);
  });

  it("passes pure noise: 20 seeded runs of the same distributions give no regression", () => {
    for (let seed = 10; seed < 30; seed++) {
      const report = compareRuns(synthetic(seed), synthetic(seed + 1000));
      expect(report.regressions).toEqual([]);
      expect(report.passed).toBe(true);
      expect(report.compared).toHaveLength(KEYS.length);
    }
  });

  it("normalizes by the floors of each run: a uniformly 2× slower machine is not a regression", () => {
    const report = compareRuns(synthetic(3), synthetic(4, {}, 2));
    expect(report.passed).toBe(true);
    // Without the floor (raw medians) the same slowdown would count.
    const raw = synthetic(4, {}, 2);
    for (const r of raw.results) (r as { floor?: string }).floor = undefined;
    const base = synthetic(3);
    for (const r of base.results) (r as { floor?: string }).floor = undefined;
    expect(compareRuns(base, raw).regressions.length).toBe(KEYS.length);
  });

  it("a result that got faster in raw time is no regression, even when its floor got faster still", () => {
    // A quieter machine: the floor (a tiny operation) runs 2× faster, the operation only 1.25× faster.
    const base = synthetic(13);
    const cur = synthetic(14, Object.fromEntries(KEYS.map((k) => [k, 1.6])), 0.5);
    const report = compareRuns(base, cur);
    expect(report.regressions).toEqual([]);
    expect(report.compared.every((c) => c.change > 0.25 && c.rawChange < 0)).toBe(true);
    expect(formatGateReport(report)).toContain("within the threshold in raw time");
    // The same ratios on a machine as fast as the baseline's are a regression.
    expect(compareRuns(base, synthetic(15, { [KEYS[0]!]: 1.6 })).regressions.map((c) => c.key)).toEqual([KEYS[0]]);
  });

  it("needs both: significant but below the threshold passes, above the threshold but without samples passes", () => {
    expect(compareRuns(synthetic(5, {}, 1, 3000), synthetic(6, { [KEYS[0]!]: 1.1 }, 1, 3000)).passed).toBe(true);
    const few = compareRuns(synthetic(7, {}, 1, 3), synthetic(8, { [KEYS[0]!]: 2 }, 1, 3));
    expect(few.regressions).toEqual([]);
    expect(formatGateReport(few)).toContain("but not significant");
  });

  it("honours a configurable threshold", () => {
    const base = synthetic(9, {}, 1, 2000);
    const cur = synthetic(19, { [KEYS[2]!]: 1.15 }, 1, 2000);
    expect(compareRuns(base, cur).passed).toBe(true);
    expect(compareRuns(base, cur, { threshold: 0.05 }).regressions.map((c) => c.key)).toEqual([KEYS[2]]);
  });

  it("always fails on a correctness failure, whatever the numbers", () => {
    const cur = synthetic(11);
    cur.results.push({
      key: "file·strict·concurrent-increment·procs=25",
      scenario: "concurrency",
      op: "concurrent-increment",
      adapter: "file",
      durability: "strict",
      params: { procs: 25 },
      status: "failed",
      reason: "correctness check failed: expected 5000, got 4990",
      check: { expected: 5000, actual: 4990, ok: false },
    });
    const report = compareRuns(synthetic(12), cur);
    expect(report.passed).toBe(false);
    expect(report.regressions).toEqual([]);
    expect(formatGateReport(report)).toContain(
      "FAILED file·strict·concurrent-increment·procs=25: correctness check failed: expected 5000, got 4990",
    );
  });
});

const GATE_CLI = fileURLToPath(new URL("../dist/gate-cli.js", import.meta.url));

describe("gate command", () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir("gate").dir;
  });
  afterEach(async () => {
    removeDir(dir);
  });

  async function gate(...args: string[]): Promise<{ code: number | null; stdout: string }> {
    // The committed-baseline comparison is history mode now; the default gate builds and interleaves.
    const { code, stdout } = await runChild(GATE_CLI, ["--against-baseline", ...args]).done;
    return { code, stdout };
  }

  it("exits 1 on a regression, 0 on noise, and updates the baseline only when asked", async () => {
    const baseline = join(dir, "baseline.json");
    const current = join(dir, "latest.json");
    await writeFile(baseline, JSON.stringify(synthetic(21)));
    await writeFile(current, JSON.stringify(synthetic(22, { [KEYS[3]!]: 1.8 })));
    const bad = await gate("--baseline", baseline, "--current", current);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`REGRESSION ${KEYS[3]}`);
    // The gate never touched the baseline.
    expect(JSON.parse(await readFile(baseline, "utf8")).id).toBe("run-21");

    await writeFile(current, JSON.stringify(synthetic(23)));
    const good = await gate("--baseline", baseline, "--current", current);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("PASSED");

    const upd = await gate("--baseline", baseline, "--current", current, "--update-baseline");
    expect(upd.code).toBe(0);
    expect(JSON.parse(await readFile(baseline, "utf8")).id).toBe("run-23");
  });

  it("exits 2 without a baseline", async () => {
    await writeFile(join(dir, "latest.json"), JSON.stringify(synthetic(24)));
    const r = await gate("--baseline", join(dir, "none.json"), "--current", join(dir, "latest.json"));
    expect(r.code).toBe(2);
  });
});
