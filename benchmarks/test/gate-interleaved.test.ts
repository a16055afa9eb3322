import { fileURLToPath } from "node:url";
import { runChild, seededRandom } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";
import { combineRounds, compareRounds, confirmedRegression, isRegression, rankSumPGreater } from "../src/gate-compare.js";
import { DEFAULT_GATE_FILTER, gateJobs } from "../src/gate-run.js";
import { INJECT_DELAY_ENV, parseInjectDelay, slowedDown, withInjectedDelay } from "../src/inject.js";
import { mannWhitneyU } from "../src/stats.js";
import { latencies } from "./helpers.js";

/** `n` round medians around `ms`, log-normal with `sigma` (what one child process's median varies by). */
function rounds(seed: number, n: number, ms: number, sigma = 0.08): number[] {
  return latencies(seededRandom(seed), n, ms, sigma);
}

describe("exact rank-sum test", () => {
  it("gives the exact permutation p-values of small samples", () => {
    // 3 against 3, completely separated: 1 of C(6,3) = 20 arrangements.
    expect(rankSumPGreater([4, 5, 6], [1, 2, 3])).toBeCloseTo(1 / 20, 12);
    expect(rankSumPGreater([1, 2, 3], [4, 5, 6])).toBeCloseTo(1, 12);
    // 6 against 6, completely separated: 1 of C(12,6) = 924.
    expect(rankSumPGreater([7, 8, 9, 10, 11, 12], [1, 2, 3, 4, 5, 6])).toBeCloseTo(1 / 924, 12);
    // One swap at the boundary: U one below the maximum → 2 of 924.
    expect(rankSumPGreater([6, 8, 9, 10, 11, 12], [1, 2, 3, 4, 5, 7])).toBeCloseTo(2 / 924, 12);
    // All tied: nothing to tell apart.
    expect(rankSumPGreater([1, 1, 1], [1, 1, 1])).toBe(1);
  });

  it("agrees with the normal approximation where that is good (20 against 20)", () => {
    const x = rounds(1, 20, 1.1, 0.1);
    const y = rounds(2, 20, 1, 0.1);
    const exact = rankSumPGreater(x, y);
    expect(Math.abs(exact - mannWhitneyU(x, y).pGreater)).toBeLessThan(0.01);
  });
});

describe("interleaved comparison of round medians", () => {
  it("identical distributions pass: of 200 seeded A/A comparisons of 6 rounds under 8 % noise, few are suspects and the re-run clears nearly all", () => {
    let suspects = 0;
    let confirmed = 0;
    for (let seed = 0; seed < 200; seed++) {
      const first = compareRounds(rounds(seed, 6, 1), rounds(seed + 10_000, 6, 1));
      if (first.slower) suspects++;
      const rerun = combineRounds(first, rounds(seed + 20_000, 6, 1), rounds(seed + 30_000, 6, 1));
      if (confirmedRegression(first, rerun)) confirmed++;
    }
    // A simulation of 1,000 such comparisons gave 3 % suspects and 0.2 % confirmed.
    expect(suspects).toBeLessThanOrEqual(12);
    expect(confirmed).toBeLessThanOrEqual(1);
    expect(compareRounds([1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]).slower).toBe(false);
  });

  it("detects a 20 % slowdown under 5 % round-to-round noise in at least 95 of 100 seeded cases", () => {
    let detected = 0;
    for (let seed = 0; seed < 100; seed++) {
      const first = compareRounds(rounds(seed, 6, 1, 0.05), rounds(seed + 10_000, 6, 1.2, 0.05));
      const rerun = first.slower ? combineRounds(first, rounds(seed + 20_000, 6, 1, 0.05), rounds(seed + 30_000, 6, 1.2, 0.05)) : undefined;
      if (confirmedRegression(first, rerun)) detected++;
    }
    expect(detected).toBeGreaterThanOrEqual(95);
  });

  it("16 rounds under 12 % round-to-round noise (the noisiest job measured, LMDB's strict update): of 500 seeded cases, a 20 % slowdown is detected in at least 94 %, an A/A pair confirmed in at most 1 %; a borderline result counts only when fresh rounds alone show it", () => {
    let detected = 0;
    let falseAlarms = 0;
    let borderlineCaught = 0;
    for (let seed = 0; seed < 500; seed++) {
      for (const shift of [1, 1.2]) {
        const first = compareRounds(rounds(seed, 16, 1, 0.12), rounds(seed + 10_000, 16, shift, 0.12));
        const b2 = rounds(seed + 20_000, 16, 1, 0.12);
        const h2 = rounds(seed + 30_000, 16, shift, 0.12);
        const rerun = first.slower ? combineRounds(first, b2, h2) : undefined;
        const fresh = first.borderline ? compareRounds(b2, h2) : undefined;
        const regression = confirmedRegression(first, rerun, fresh);
        if (shift === 1 && regression) falseAlarms++;
        if (shift > 1 && regression) detected++;
        if (shift > 1 && regression && first.borderline) borderlineCaught++;
      }
    }
    // A simulation of 1,000 such cases gave 95.5 % detected (95.3 % without the borderline rule) and 0.2 % false alarms.
    expect(detected).toBeGreaterThanOrEqual(470);
    expect(falseAlarms).toBeLessThanOrEqual(5);
    expect(borderlineCaught).toBeGreaterThan(0);
  });

  it("a borderline result: re-run, and judged on the fresh rounds alone", () => {
    const base = [1.0, 1.1, 0.92, 1.05, 0.95, 1.08, 0.97, 1.02];
    const head = [1.2, 0.93, 1.25, 0.99, 1.18, 0.94, 1.22, 1.1];
    const first = compareRounds(base, head);
    expect(first.change).toBeGreaterThan(0.1);
    expect(first.p).toBeGreaterThanOrEqual(0.05);
    expect(first.p).toBeLessThan(0.25);
    expect(first.slower).toBe(false);
    expect(first.borderline).toBe(true);
    const freshBase = [1.0, 1.02, 0.99, 1.01, 0.98, 1.0, 1.03, 0.97];
    expect(
      confirmedRegression(
        first,
        undefined,
        compareRounds(
          freshBase,
          freshBase.map((v) => v * 1.2),
        ),
      ),
    ).toBe(true);
    expect(confirmedRegression(first, undefined, compareRounds(freshBase, freshBase))).toBe(false);
    expect(confirmedRegression(first, undefined, undefined)).toBe(false);
    // Confirmation off: a borderline result is not a regression.
    expect(isRegression(first, undefined, 0)).toBe(false);
    // Not borderline: within the threshold, or not even weakly significant.
    expect(
      compareRounds(
        base,
        base.map((v) => v * 1.05),
      ).borderline,
    ).toBe(false);
    expect(
      compareRounds(
        base,
        [...base].reverse().map((v) => v * 1.11),
      ).borderline,
    ).toBe(false);
  });

  it("a single outlier round is not a regression", () => {
    const base = [1.0, 1.02, 0.98, 1.01, 0.99, 1.0];
    const head = [1.01, 0.99, 3.5, 1.0, 0.98, 1.02];
    const c = compareRounds(base, head);
    expect(c.change).toBeLessThan(0.02);
    expect(c.slower).toBe(false);
  });

  it("needs the minimum effect: a consistent 5 % slowdown is significant but below the 10 % threshold", () => {
    const base = [1.0, 1.01, 0.99, 1.0, 1.01, 0.99];
    const head = base.map((v) => v * 1.05);
    const c = compareRounds(base, head);
    expect(c.p).toBeLessThan(0.01);
    expect(c.slower).toBe(false);
    expect(compareRounds(base, head, { threshold: 0.03 }).slower).toBe(true);
  });

  it("confirm by re-running: a suspect whose re-run rounds show nothing is cleared, a real one stays", () => {
    const base = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98];
    const unlucky = compareRounds(base, [1.15, 1.2, 1.14, 1.16, 1.18, 1.13]);
    expect(unlucky.slower).toBe(true);
    // The re-run: head as fast as base again (the first rounds met a burst of load).
    const cleared = combineRounds(unlucky, [1.0, 1.03, 0.97, 1.01, 0.99, 1.02], [0.99, 1.01, 1.0, 0.98, 1.02, 1.0]);
    expect(cleared.base).toHaveLength(12);
    expect(confirmedRegression(unlucky, cleared)).toBe(false);
    const real = combineRounds(unlucky, [1.0, 1.03, 0.97, 1.01, 0.99, 1.02], [1.17, 1.2, 1.15, 1.19, 1.16, 1.21]);
    expect(confirmedRegression(unlucky, real)).toBe(true);
    // Never a regression without a suspect, or without a re-run.
    expect(confirmedRegression(compareRounds(base, base), real)).toBe(false);
    expect(confirmedRegression(unlucky, undefined)).toBe(false);
    // With confirmation turned off (--confirm-rounds 0) a suspect stands as it is.
    expect(isRegression(unlucky, undefined, 0)).toBe(true);
    expect(isRegression(unlucky, undefined, 6)).toBe(false);
    expect(isRegression(unlucky, cleared, 6)).toBe(false);
    expect(isRegression(compareRounds(base, base), undefined, 0)).toBe(false);
  });
});

describe("injected delay (test only)", () => {
  it("parses op:fraction lists", () => {
    expect(parseInjectDelay(undefined).size).toBe(0);
    expect(parseInjectDelay(" ").size).toBe(0);
    expect([...parseInjectDelay("state-update:0.2, cli-state-get:0.5")]).toEqual([
      ["state-update", 0.2],
      ["cli-state-get", 0.5],
    ]);
  });

  it.each([
    ["state-update", /is not op:fraction/],
    [":0.2", /is not op:fraction/],
    ["state-update:", /must be a fraction > 0/],
    ["state-update:abc", /must be a fraction > 0/],
    ["state-update:-0.1", /must be a fraction > 0/],
    ["state-update:0", /must be a fraction > 0/],
    ["state-update:20", /≤ 10/],
    ["state-update:Infinity", /must be a fraction > 0/],
    ["a:0.1,a:0.2", /named twice/],
    ["State Update:0.2", /is not op:fraction/],
  ])("rejects %j with a ConfigError", (value, message) => {
    let caught: unknown;
    try {
      parseInjectDelay(value);
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string }).code).toBe("E_CONFIG");
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain(INJECT_DELAY_ENV);
  });

  it("slows the named operation by its own CPU time, sync and async, and leaves others alone", async () => {
    const work = () => {
      let x = 0;
      for (let i = 0; i < 200_000; i++) x += Math.sqrt(i);
      return x;
    };
    // CPU time, not the clock: the slowdown is more work, and the clock on a loaded machine also
    // counts the time this process waited for a CPU.
    const cpu = async (fn: () => unknown) => {
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      return c.user + c.system;
    };
    const ratio = async (slowed: () => unknown) => {
      // Interleaved, median of 9: the process's CPU time includes its other threads' (GC, the runner).
      const ratios: number[] = [];
      for (let i = 0; i < 9; i++) ratios.push((await cpu(slowed)) / (await cpu(work)));
      return ratios.sort((a, b) => a - b)[4]!;
    };
    await cpu(work);
    // 100 % slower: twice the work, within the noise of other threads.
    expect(await ratio(slowedDown(work, 1))).toBeGreaterThan(1.6);
    expect(await ratio(slowedDown(work, 1))).toBeLessThan(2.6);
    expect(await ratio(slowedDown(async () => work(), 1))).toBeGreaterThan(1.6);
    expect(await slowedDown(async () => 42, 0.5)()).toBe(42);
    expect(withInjectedDelay("state-query", work, { [INJECT_DELAY_ENV]: "state-update:1" })).toBe(work);
    expect(withInjectedDelay("state-update", work, { [INJECT_DELAY_ENV]: "state-update:1" })).not.toBe(work);
  });
});

describe("gate job selection", () => {
  it("keeps the default set small: in-process core operations on one adapter and two CLI commands", () => {
    const jobs = gateJobs();
    expect(jobs.map((j) => `${j.scenario}:${j.adapter}/${j.durability}`)).toEqual([
      "state-query:sqlite/strict",
      "state-update:sqlite/strict",
      "session-create:sqlite/strict",
      "config-get:sqlite/strict",
      "cli:file/strict",
    ]);
    expect(jobs.at(-1)!.only).toEqual(["cli-state-get", "cli-state-set"]);
    expect(DEFAULT_GATE_FILTER).toHaveLength(5);
    expect(gateJobs(["state-update:lmdb/relaxed"]).map((j) => j.durability)).toEqual(["relaxed"]);
  });

  it.each([["nope"], ["state-query:nope"], ["state-query:sqlite/sometimes"], ["cli:file@cli-nothing"], ["state query"]])(
    "rejects the filter %j with a ConfigError",
    (entry) => {
      expect(() => gateJobs([entry])).toThrow(expect.objectContaining({ code: "E_CONFIG" }));
    },
  );
});

const GATE_CLI = fileURLToPath(new URL("../dist/gate-cli.js", import.meta.url));

describe("gate command, end to end (base = head = this checkout, nothing built)", () => {
  const common = ["--base", "worktree", "--head", "worktree", "--no-build", "--filter", "state-update:memory", "--rounds", "5", "--quiet"];

  it("passes an A/A run and fails an injected 300 % slowdown, confirmed by re-running", { timeout: 120_000 }, async () => {
    const env = { ...process.env, [INJECT_DELAY_ENV]: undefined };
    const aa = await runChild(GATE_CLI, common, { env, timeoutMs: 100_000 }).done;
    expect(aa.stderr).toBe("");
    expect(aa.stdout).toContain("## Regression gate: PASSED");
    expect(aa.stdout).toMatch(/\| memory·-·state-update· \| CPU per call \| [\d.]+ \| [\d.]+ \|/);
    expect(aa.code).toBe(0);

    const slow = await runChild(GATE_CLI, common, { env: { ...env, [INJECT_DELAY_ENV]: "state-update:3" }, timeoutMs: 100_000 }).done;
    expect(slow.stdout).toContain("## Regression gate: FAILED");
    expect(slow.stdout).toContain("**regression** (confirmed by re-running)");
    expect(slow.code).toBe(1);
  });

  it("exits 2 on a bad injected delay or a bad filter, before running anything", async () => {
    const bad = await runChild(GATE_CLI, common, { env: { ...process.env, [INJECT_DELAY_ENV]: "state-update:lots" } }).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(INJECT_DELAY_ENV);
    const filter = await runChild(GATE_CLI, ["--base", "worktree", "--no-build", "--filter", "state-query:nope"]).done;
    expect(filter.code).toBe(2);
    expect(filter.stderr).toMatch(/unknown adapter "nope"/);
  });
});
