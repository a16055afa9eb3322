import { readFileSync } from "node:fs";
import type { Durability } from "@statehouse/core";
import type { BenchResult } from "./types.js";

/** One of the v2 report's targets, and the operations it applies to. */
export interface ReportTarget {
  readonly id: string;
  readonly text: string;
  readonly ops: readonly string[];
  /** The median must stay under this (ms); absent when the report set no target. */
  readonly maxMs?: number;
  /** The final count must be exact (no lost update, no error). */
  readonly exact?: boolean;
  /** What the v2 system measured (ms), shown beside ours. */
  readonly reportMs?: number;
  readonly reportNote?: string;
}

/** One of this project's goals (from the adapter issues), for one adapter's operation. */
export interface Goal {
  readonly id: string;
  readonly adapter: string;
  readonly op: string;
  readonly text: string;
  readonly durability?: Durability;
  /** The result's parameters must equal these; a goal without params applies to parameterless results only. */
  readonly params?: Readonly<Record<string, number>>;
  readonly medianMaxMs?: number;
  readonly p99MaxMs?: number;
  readonly maxFloorRatio?: number;
  readonly exact?: boolean;
  readonly minThroughputVsSingle?: number;
  readonly maxDiskBytesPerSession?: number;
}

export interface Targets {
  readonly report: {
    readonly source: string;
    readonly targets: readonly ReportTarget[];
    readonly memory: { readonly workspaceBytes: number; readonly perSessionBytesLow: number; readonly perSessionBytesHigh: number };
  };
  readonly goals: readonly Goal[];
}

export function loadTargets(file: URL | string = new URL("../targets.json", import.meta.url)): Targets {
  return JSON.parse(readFileSync(file, "utf8")) as Targets;
}

/** met / missed, or not judged (no such target, or the result did not run). */
export type Verdict = "met" | "missed" | "n/a";

export interface Judgement {
  readonly verdict: Verdict;
  /** Why, with the numbers. */
  readonly detail: string;
}

function sameParams(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export function reportTargetFor(targets: Targets, op: string): ReportTarget | undefined {
  return targets.report.targets.find((t) => t.ops.includes(op));
}

export function goalsFor(targets: Targets, r: BenchResult): Goal[] {
  return targets.goals.filter(
    (g) =>
      g.adapter === r.adapter &&
      g.op === r.op &&
      (g.durability === undefined || g.durability === r.durability) &&
      sameParams(g.params ?? {}, r.params),
  );
}

const fmtMs = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);

export function judgeReport(t: ReportTarget | undefined, r: BenchResult): Judgement {
  if (t === undefined || (t.maxMs === undefined && t.exact !== true)) return { verdict: "n/a", detail: "no target in the report" };
  if (r.status !== "ok" && !(t.exact === true && r.check !== undefined))
    return { verdict: r.status === "failed" ? "missed" : "n/a", detail: r.reason ?? r.status };
  const parts: string[] = [];
  let met = true;
  if (t.exact === true) {
    const ok = r.check?.ok === true;
    met &&= ok;
    parts.push(ok ? `exact (${r.check?.actual})` : `count ${r.check?.actual} ≠ ${r.check?.expected}`);
  }
  if (t.maxMs !== undefined && r.stats !== undefined) {
    met &&= r.stats.median < t.maxMs;
    parts.push(`median ${fmtMs(r.stats.median)} vs < ${t.maxMs} ms`);
  }
  return { verdict: met ? "met" : "missed", detail: parts.join("; ") };
}

/** Judges a result against one goal; `all` is the whole run (for comparisons with one process alone). */
export function judgeGoal(g: Goal, r: BenchResult, all: readonly BenchResult[]): Judgement {
  if (r.status === "skipped") return { verdict: "n/a", detail: r.reason ?? "skipped" };
  if (r.status === "failed" && r.stats === undefined) return { verdict: "missed", detail: r.reason ?? "failed" };
  const parts: string[] = [];
  let met = true;
  const s = r.stats;
  if (g.exact === true) {
    const ok = r.check?.ok === true;
    met &&= ok;
    parts.push(ok ? "exact" : `lost or failed updates: ${r.check?.actual} of ${r.check?.expected}`);
  }
  if (g.medianMaxMs !== undefined && s !== undefined) {
    met &&= s.median <= g.medianMaxMs;
    parts.push(`median ${fmtMs(s.median)} vs ≤ ${fmtMs(g.medianMaxMs)}`);
  }
  if (g.p99MaxMs !== undefined && s !== undefined) {
    met &&= s.p99 <= g.p99MaxMs;
    // Where the row has a floor of the same shape (N processes, a fair turn each), its p99 says
    // whether the goal is within this machine's reach at all.
    const floorP99 = r.floor === undefined ? undefined : all.find((o) => o.key === r.floor && o.status === "ok")?.stats?.p99;
    parts.push(`p99 ${fmtMs(s.p99)} vs ≤ ${fmtMs(g.p99MaxMs)}${floorP99 === undefined ? "" : ` (floor's p99 ${fmtMs(floorP99)})`}`);
  }
  if (g.maxFloorRatio !== undefined) {
    if (r.ratio === undefined) return { verdict: "n/a", detail: "its floor was not measured" };
    met &&= r.ratio <= g.maxFloorRatio;
    parts.push(`${r.ratio.toFixed(2)}× floor vs ≤ ${g.maxFloorRatio}×`);
  }
  if (g.minThroughputVsSingle !== undefined && s !== undefined) {
    const single = all.find(
      (o) => o.adapter === r.adapter && o.op === r.op && o.durability === r.durability && o.params.procs === 1 && o.status === "ok",
    );
    if (single?.stats === undefined) {
      parts.push("one-process throughput not measured");
      met = false;
    } else {
      const q = s.throughput / single.stats.throughput;
      met &&= q >= g.minThroughputVsSingle;
      parts.push(`throughput ${q.toFixed(2)}× one process vs ≥ ${g.minThroughputVsSingle}×`);
    }
  }
  if (g.maxDiskBytesPerSession !== undefined) {
    if (r.diskBytesPerSession === undefined) return { verdict: "n/a", detail: "disk usage not measured" };
    met &&= r.diskBytesPerSession <= g.maxDiskBytesPerSession;
    parts.push(`${(r.diskBytesPerSession / 1024).toFixed(2)} KB/session vs ≤ ${(g.maxDiskBytesPerSession / 1024).toFixed(1)} KB`);
  }
  return { verdict: met ? "met" : "missed", detail: parts.join("; ") };
}

/** Each goal with its verdict in this run, `n/a` with "not measured" when no result matched. */
export function judgeAllGoals(
  targets: Targets,
  results: readonly BenchResult[],
): { goal: Goal; result?: BenchResult; judgement: Judgement }[] {
  return targets.goals.map((goal) => {
    const result = results.find((r) => goalsFor(targets, r).includes(goal));
    if (result === undefined) return { goal, judgement: { verdict: "n/a", detail: "not measured in this run (profile or filters)" } };
    return { goal, result, judgement: judgeGoal(goal, result, results) };
  });
}
