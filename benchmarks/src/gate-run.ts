import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@statehouse/core";
import {
  type RoundsComparison,
  type RoundsCompareOptions,
  combineRounds,
  compareRounds,
  isRegression,
  roundsOptions,
} from "./gate-compare.js";
import type { GateTree } from "./gate-trees.js";
import { INJECT_DELAY_ENV } from "./inject.js";
import { PROFILES, type Profile, jobLabel, planJobs } from "./profiles.js";
import { runJob } from "./runner.js";
import type { Job } from "./scenario.js";
import { findScenario } from "./scenarios/index.js";
import type { BenchResult } from "./types.js";

/**
 * The scenarios the gate runs by default, kept small so a gate run takes minutes: the core
 * operations in process on one adapter, and the whole-process CLI rows on the default adapter.
 * Entries are `scenario[:adapter[/durability]][@op+op…]`: an adapter's default durability when none is
 * named, and only the named operations of a scenario that can skip the others (the CLI's commands).
 */
export const DEFAULT_GATE_FILTER: readonly string[] = [
  "state-query:sqlite",
  "state-update:sqlite",
  "session-create:sqlite",
  "config-get:sqlite",
  "cli:file@cli-state-get+cli-state-set",
];

/** The gate's measuring settings: short tinybench runs, few whole processes, many rounds instead. */
export const GATE_PROFILE: Profile = {
  ...PROFILES.quick!,
  name: "gate",
  settings: { timeMs: 150, processRuns: 4, listingSessions: 1000, childTimeoutMs: 60_000 },
};

/** The jobs of a filter (see {@link DEFAULT_GATE_FILTER}); floors are not run: base and head share the machine and the moment. */
export function gateJobs(filter: readonly string[] = DEFAULT_GATE_FILTER, profile: Profile = GATE_PROFILE): Job[] {
  const jobs: Job[] = [];
  for (const entry of filter) {
    const m = /^([a-z0-9-]+)(?::([a-z0-9-]+)(?:\/([a-z]+))?)?(?:@([a-z0-9+-]+))?$/.exec(entry.trim());
    if (m === null) throw new ConfigError(`--filter: "${entry}" is not scenario[:adapter[/durability]][@op+op…]`);
    const [, scenario, adapter, durability, ops] = m;
    const only = ops?.split("+").filter((x) => x !== "");
    const planned = planJobs(profile, { scenarios: [scenario!], adapters: adapter === undefined ? undefined : [adapter] }).filter(
      (j) => j.scenario === scenario,
    );
    // Without a durability, each adapter's default mode (the first planned) only.
    const defaults = new Map<string | undefined, Job["durability"]>();
    for (const j of planned) if (!defaults.has(j.adapter)) defaults.set(j.adapter, j.durability);
    const picked = planned.filter((j) =>
      durability !== undefined ? j.durability === durability : j.durability === defaults.get(j.adapter),
    );
    if (picked.length === 0) throw new ConfigError(`--filter: "${entry}" selects no job`);
    const known = picked[0] === undefined ? [] : (findScenario(picked[0].scenario)?.ops(picked[0].params) ?? []);
    for (const op of only ?? [])
      if (!known.includes(op))
        throw new ConfigError(`--filter: "${entry}": ${scenario} has no operation ${op}; known: ${known.join(", ")}`);
    for (const j0 of picked) {
      const j: Job = only === undefined ? j0 : { ...j0, only };
      if (!jobs.some((k) => jobLabel(k) === jobLabel(j))) jobs.push(j);
    }
  }
  return jobs;
}

/** Options of {@link runGate}. */
export interface GateRunOptions extends RoundsCompareOptions {
  base: GateTree;
  head: GateTree;
  jobs: readonly Job[];
  /** Interleaved rounds of every job (default 16). */
  rounds?: number;
  /** Further rounds of the suspected results' jobs before the gate fails (default: `rounds`). */
  confirmRounds?: number;
  /** The base's child environment. Default: this process's, without the injected delay. */
  baseEnv?: NodeJS.ProcessEnv;
  /** The head's child environment. Default: this process's (an injected delay applies to the head only). */
  headEnv?: NodeJS.ProcessEnv;
  /** Parent of the children's store directories. Default: `<tmp>/statehouse-gate`. */
  storeRoot?: string;
  /** One line per finished child. */
  log?: (line: string) => void;
}

/**
 * What a result's rounds are compared by: `cpu`, the process's CPU time per call (in-process rows
 * whose trees both record it), or `wall`, the median wall time of the round (whole-process rows, and
 * a base that predates CPU timing). A shared machine's load moves CPU time less than wall time, not
 * nothing: at a load average of 31 on 2 cores, A/A round medians of one tree moved by up to ±100 %
 * in wall time; at load 20, CPU time per call still by up to ±30 % on this VM. It does
 * not see a slowdown made only of waiting (an extra fsync, a lock held longer); the wall-time
 * comparison of the same rounds is kept beside it for a reader to see that.
 */
export type GateMetric = "cpu" | "wall";

export interface GateComparison {
  readonly key: string;
  /** What `first`, `rerun` and the verdict are judged on. */
  readonly metric: GateMetric;
  readonly first: RoundsComparison;
  /**
   * The re-measurement of a suspect: its first rounds plus the re-run's, compared together; of a
   * borderline result, the re-run's rounds alone (`rerunKind` says which).
   */
  readonly rerun?: RoundsComparison | undefined;
  readonly rerunKind?: "combined" | "fresh" | undefined;
  readonly regression: boolean;
  /** With metric `cpu`: the same rounds' wall-time medians compared (information, not the verdict). */
  readonly wall?: RoundsComparison | undefined;
}

export interface GateOutcome {
  readonly base: GateTree;
  readonly head: GateTree;
  readonly rounds: number;
  readonly confirmRounds: number;
  readonly options: Required<RoundsCompareOptions>;
  readonly jobs: number;
  readonly comparisons: GateComparison[];
  /** Results that failed on the head (errors, lost updates): they fail the gate whatever the numbers. */
  readonly failures: { key: string; reason: string }[];
  /** Results that could not be compared (e.g. new in the head, or failing on the base), with why. */
  readonly notCompared: { key: string; reason: string }[];
  readonly passed: boolean;
  readonly seconds: number;
  /** Child processes run (each tree, each round, each job). */
  readonly children: number;
}

/** One result's rounds on one tree: wall-time medians, and CPU per call where the tree's children record it. */
interface Rounds {
  wall: number[];
  cpu: (number | undefined)[];
}

interface Collected {
  base: Map<string, Rounds>;
  head: Map<string, Rounds>;
  headFailures: Map<string, string>;
  baseFailures: Map<string, string>;
  /** Which keys each job yielded, so a suspect's job can be re-run. */
  keysOf: Map<Job, Set<string>>;
}

function without(env: NodeJS.ProcessEnv, name: string): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy[name];
  return copy;
}

function record(into: Collected, side: "base" | "head", job: Job, results: BenchResult[]): void {
  const keys = into.keysOf.get(job) ?? new Set<string>();
  into.keysOf.set(job, keys);
  for (const r of results) {
    // A base that predates `only` runs every operation of the scenario: keep the asked ones.
    if (job.only !== undefined && !job.only.includes(r.op)) continue;
    keys.add(r.key);
    if (r.status === "ok" && r.stats !== undefined && Number.isFinite(r.stats.median)) {
      const map = into[side];
      const rounds = map.get(r.key) ?? { wall: [], cpu: [] };
      map.set(r.key, rounds);
      rounds.wall.push(r.stats.median);
      rounds.cpu.push(r.stats.cpu !== undefined && Number.isFinite(r.stats.cpu) && r.stats.cpu > 0 ? r.stats.cpu : undefined);
    } else if (r.status === "failed") (side === "base" ? into.baseFailures : into.headFailures).set(r.key, r.reason ?? "failed");
  }
}

/**
 * Runs `jobs` for `rounds` rounds, each job on base and head back to back in its own child process,
 * the order alternating by round (base first, then head first), as Node core's benchmark/compare.js
 * interleaves: a change in the machine's load hits both trees alike instead of one of them.
 */
async function interleave(o: GateRunOptions, jobs: readonly Job[], rounds: number, into: Collected, phase: string): Promise<number> {
  const storeRoot = o.storeRoot ?? join(tmpdir(), "statehouse-gate");
  const baseEnv = o.baseEnv ?? without(process.env, INJECT_DELAY_ENV);
  const headEnv = o.headEnv ?? process.env;
  let children = 0;
  for (let round = 0; round < rounds; round++) {
    for (const job of jobs) {
      const order = round % 2 === 0 ? (["base", "head"] as const) : (["head", "base"] as const);
      for (const side of order) {
        const tree = side === "base" ? o.base : o.head;
        const t0 = performance.now();
        const results = await runJob(job, { storeRoot, childScript: tree.childScript, env: side === "base" ? baseEnv : headEnv });
        children++;
        record(into, side, job, results);
        o.log?.(`${phase} round ${round + 1}/${rounds} ${side} · ${jobLabel(job)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  }
  return children;
}

function hasCpu(r: Rounds): boolean {
  return r.cpu.length > 0 && r.cpu.every((v) => v !== undefined);
}

function valuesOf(r: Rounds, metric: GateMetric): number[] {
  return metric === "cpu" ? (r.cpu as number[]) : r.wall;
}

function emptyCollected(): Collected {
  return { base: new Map(), head: new Map(), headFailures: new Map(), baseFailures: new Map(), keysOf: new Map() };
}

/**
 * The interleaved regression gate: runs the same jobs on base and head alternately, compares each
 * result's rounds ({@link compareRounds}; by CPU time per call in process, see {@link GateMetric}), re-runs the jobs of suspected regressions for
 * `confirmRounds` more rounds and fails only on those slower again ({@link confirmedRegression}),
 * or on any result that failed on the head.
 */
export async function runGate(o: GateRunOptions): Promise<GateOutcome> {
  const started = performance.now();
  const rounds = o.rounds ?? 16;
  const confirmRounds = o.confirmRounds ?? rounds;
  const opts = roundsOptions(o);
  if (!(Number.isInteger(rounds) && rounds >= 1) || !(Number.isInteger(confirmRounds) && confirmRounds >= 0))
    throw new ConfigError("--rounds needs a whole number ≥ 1 (and --confirm-rounds ≥ 0)");
  const first = emptyCollected();
  let children = await interleave(o, o.jobs, rounds, first, "measure:");
  const keys = [...new Set([...first.base.keys(), ...first.head.keys()])];
  const comparisons: GateComparison[] = [];
  const notCompared: { key: string; reason: string }[] = [];
  const firstCmp = new Map<string, RoundsComparison>();
  const metrics = new Map<string, GateMetric>();
  for (const key of keys) {
    const bRounds = first.base.get(key);
    const hRounds = first.head.get(key);
    if (first.headFailures.has(key)) continue;
    const metric: GateMetric = bRounds !== undefined && hRounds !== undefined && hasCpu(bRounds) && hasCpu(hRounds) ? "cpu" : "wall";
    const b = bRounds === undefined ? [] : valuesOf(bRounds, metric);
    const h = hRounds === undefined ? [] : valuesOf(hRounds, metric);
    metrics.set(key, metric);
    if (b.length === 0) {
      notCompared.push({
        key,
        reason: `no base result${first.baseFailures.has(key) ? `: ${first.baseFailures.get(key)}` : " (new in the head?)"}`,
      });
      continue;
    }
    if (h.length === 0) {
      notCompared.push({ key, reason: "no head result (gone from the head?)" });
      continue;
    }
    firstCmp.set(key, compareRounds(b, h, opts));
  }
  // Confirm by re-running: the jobs of the suspects only, fresh rounds, judged on their own.
  const suspects = [...firstCmp.entries()].filter(([, c]) => c.slower || c.borderline).map(([k]) => k);
  const rerunJobs = o.jobs.filter((j) => suspects.some((k) => first.keysOf.get(j)?.has(k) === true));
  const second = emptyCollected();
  if (rerunJobs.length > 0 && confirmRounds > 0) children += await interleave(o, rerunJobs, confirmRounds, second, "confirm:");
  for (const [key, c] of firstCmp) {
    const metric = metrics.get(key) ?? "wall";
    const b2 = second.base.get(key);
    const h2 = second.head.get(key);
    // A re-run is judged on the first rounds' metric; a round missing its CPU time falls back to wall for both.
    const sameMetric = metric === "wall" || (b2 !== undefined && h2 !== undefined && hasCpu(b2) && hasCpu(h2));
    const measured = b2 !== undefined && h2 !== undefined && b2.wall.length > 0 && h2.wall.length > 0 && sameMetric;
    const rerun = c.slower && measured ? combineRounds(c, valuesOf(b2, metric), valuesOf(h2, metric), opts) : undefined;
    const fresh = c.borderline && measured ? compareRounds(valuesOf(b2, metric), valuesOf(h2, metric), opts) : undefined;
    const wall = metric === "cpu" ? compareRounds(first.base.get(key)?.wall ?? [], first.head.get(key)?.wall ?? [], opts) : undefined;
    comparisons.push({
      key,
      metric,
      first: c,
      rerun: rerun ?? fresh,
      rerunKind: rerun !== undefined ? "combined" : fresh !== undefined ? "fresh" : undefined,
      regression: isRegression(c, rerun, confirmRounds, fresh),
      wall,
    });
  }
  for (const [k, v] of second.headFailures) if (!first.headFailures.has(k)) first.headFailures.set(k, v);
  const failures = [...first.headFailures].map(([key, reason]) => ({ key, reason }));
  const passed = failures.length === 0 && comparisons.every((c) => !c.regression);
  return {
    base: o.base,
    head: o.head,
    rounds,
    confirmRounds,
    options: opts,
    jobs: o.jobs.length,
    comparisons,
    failures,
    notCompared,
    passed,
    seconds: (performance.now() - started) / 1000,
    children,
  };
}

function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v >= 0.01 ? v.toFixed(4) : v.toPrecision(3);
}

function pct(v: number): string {
  return `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)} %`;
}

function verdict(c: GateComparison): string {
  if (c.regression)
    return c.rerun === undefined ? "**regression** (not re-run: confirmation off)" : "**regression** (confirmed by re-running)";
  if (c.first.slower) return c.rerun === undefined ? "suspect, not re-measured" : "suspect, not confirmed by re-running";
  if (c.first.borderline) return c.rerun === undefined ? "borderline, not re-measured" : "borderline, not confirmed by fresh rounds";
  return "ok";
}

/** The gate's verdict as markdown: a table of every compared result, then failures and notes. */
export function formatGateMarkdown(out: GateOutcome): string {
  const o = out.options;
  const lines = [
    `## Regression gate: ${out.passed ? "PASSED" : "FAILED"}`,
    "",
    `Base \`${out.base.ref}\` (${out.base.commit}, ${out.base.source}) vs head \`${out.head.ref}\` (${out.head.commit}, ${out.head.source}), ` +
      `${out.jobs} jobs × ${out.rounds} interleaved rounds (${out.children} child processes, ${out.seconds.toFixed(0)} s). ` +
      `A result regresses when the median of its head rounds is more than ${(o.threshold * 100).toFixed(0)} % above the base's, ` +
      `the one-sided exact rank-sum test on the rounds gives p < ${o.alpha}, and it still does with ${out.confirmRounds} further ` +
      `interleaved rounds of it added (confirm by re-running); a result more than ${(o.threshold * 100).toFixed(0)} % slower with ` +
      `p < ${o.screenAlpha} only is borderline, re-run too, and regresses only if the fresh rounds alone show it. In-process rows are compared by CPU time per call (what other ` +
      "processes' load moves less than wall time; it does not see time spent waiting, so their wall-time change is shown beside it), " +
      "whole-process rows by the wall-time median of each round.",
    "",
    "| result | compared by | base (ms) | head (ms) | change | p | re-run (with the first rounds, or fresh alone if borderline): change | p | wall-time change | verdict |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const c of out.comparisons) {
    lines.push(
      `| ${c.key} | ${c.metric === "cpu" ? "CPU per call" : "wall median"} | ${ms(c.first.baseMedian)} | ${ms(c.first.headMedian)} | ${pct(c.first.change)} | ${c.first.p.toPrecision(2)} | ` +
        `${c.rerun === undefined ? "" : pct(c.rerun.change)} | ${c.rerun === undefined ? "" : c.rerun.p.toPrecision(2)} | ` +
        `${c.wall === undefined ? "" : pct(c.wall.change)} | ${verdict(c)} |`,
    );
  }
  if (out.failures.length > 0) {
    lines.push("", "Failed on the head (fails the gate whatever the numbers):", "");
    for (const f of out.failures) lines.push(`- ${f.key}: ${f.reason}`);
  }
  if (out.notCompared.length > 0) {
    lines.push("", "Not compared:", "");
    for (const n of out.notCompared) lines.push(`- ${n.key}: ${n.reason}`);
  }
  const regressions = out.comparisons.filter((c) => c.regression).length;
  lines.push(
    "",
    out.passed
      ? "PASSED: no confirmed regression, no failed result."
      : `FAILED: ${regressions} confirmed regression(s), ${out.failures.length} failed result(s).`,
  );
  return lines.join("\n");
}
