import { mannWhitneyU, median } from "./stats.js";
import type { BenchResult, RunResult } from "./types.js";

/** How strict the regression gate is. */
export interface GateOptions {
  /** A slowdown counts only past this fraction of the baseline's normalized median. Default 0.25 (25 %). */
  threshold?: number;
  /** And only when the one-sided Mann–Whitney U p-value is below this. Default 0.01. */
  alpha?: number;
  /** Fewer retained samples than this on either side cannot show significance. Default 5. */
  minSamples?: number;
}

export interface Comparison {
  readonly key: string;
  /** Floor-normalized medians (dimensionless when a floor was measured in both runs, else ms). */
  readonly baseline: number;
  readonly current: number;
  /** current ÷ baseline − 1, of the normalized medians. */
  readonly change: number;
  /** current ÷ baseline − 1, of the raw medians (milliseconds). */
  readonly rawChange: number;
  /** One-sided p-value for "current is slower"; undefined without samples. */
  readonly p: number | undefined;
  /** The floor each run was normalized by, or undefined when compared raw. */
  readonly normalizedBy: string | undefined;
  readonly regression: boolean;
}

export interface GateReport {
  readonly passed: boolean;
  readonly regressions: Comparison[];
  /** Results that failed in the current run (errors, lost updates): these always fail the gate. */
  readonly failures: BenchResult[];
  /** Results present (and ok) in the baseline but absent from the current run. */
  readonly missing: string[];
  readonly compared: Comparison[];
  readonly options: Required<GateOptions>;
}

const FLOOR_ADAPTERS = new Set(["floor", "process"]);

function floorMedian(run: RunResult, key: string | undefined): number | undefined {
  if (key === undefined) return undefined;
  const f = run.results.find((r) => r.key === key);
  return f?.status === "ok" && f.stats !== undefined && f.stats.median > 0 ? f.stats.median : undefined;
}

/**
 * Compares a run with a baseline, result by result. Each result is divided by its floor's
 * median in its own run, so a machine that is uniformly slower today does not read as a
 * regression. A regression must be significant (Mann–Whitney U on the retained samples) and
 * larger than the threshold, both relative to the floor and in raw time: floors of tiny
 * operations (a raw get of a few hundred nanoseconds) speed up more than whole operations when
 * a shared machine gets quieter, and a result that became faster in raw time is no regression
 * whatever its floor did. A correctness failure fails the gate whatever the numbers.
 */
export function compareRuns(baseline: RunResult, current: RunResult, options: GateOptions = {}): GateReport {
  const opts: Required<GateOptions> = {
    threshold: options.threshold ?? 0.25,
    alpha: options.alpha ?? 0.01,
    minSamples: options.minSamples ?? 5,
  };
  const byKey = new Map(current.results.map((r) => [r.key, r]));
  const failures = current.results.filter((r) => r.status === "failed");
  const compared: Comparison[] = [];
  const missing: string[] = [];
  for (const b of baseline.results) {
    if (FLOOR_ADAPTERS.has(b.adapter) || b.status !== "ok" || b.stats === undefined) continue;
    const c = byKey.get(b.key);
    if (c === undefined) {
      missing.push(b.key);
      continue;
    }
    if (c.status !== "ok" || c.stats === undefined) continue;
    const fb = floorMedian(baseline, b.floor);
    const fc = floorMedian(current, c.floor);
    const normalized = fb !== undefined && fc !== undefined;
    const sb = normalized ? fb : 1;
    const sc = normalized ? fc : 1;
    const bs = (b.samples ?? []).map((v) => v / sb);
    const cs = (c.samples ?? []).map((v) => v / sc);
    const bMed = bs.length > 0 ? median(bs) : b.stats.median / sb;
    const cMed = cs.length > 0 ? median(cs) : c.stats.median / sc;
    const change = bMed > 0 ? cMed / bMed - 1 : 0;
    const bRaw = b.samples !== undefined && b.samples.length > 0 ? median(b.samples) : b.stats.median;
    const cRaw = c.samples !== undefined && c.samples.length > 0 ? median(c.samples) : c.stats.median;
    const rawChange = bRaw > 0 ? cRaw / bRaw - 1 : 0;
    const p = bs.length >= opts.minSamples && cs.length >= opts.minSamples ? mannWhitneyU(cs, bs).pGreater : undefined;
    compared.push({
      key: b.key,
      baseline: bMed,
      current: cMed,
      change,
      rawChange,
      p,
      normalizedBy: normalized ? b.floor : undefined,
      regression: change > opts.threshold && rawChange > opts.threshold && p !== undefined && p < opts.alpha,
    });
  }
  const regressions = compared.filter((c) => c.regression);
  return { passed: regressions.length === 0 && failures.length === 0, regressions, failures, missing, compared, options: opts };
}

function signed(change: number): string {
  return `${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)} %`;
}

function num(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** The gate's verdict for people: each regression and failure with its numbers. */
export function formatGateReport(report: GateReport): string {
  const o = report.options;
  const lines = [
    `Regression gate: ${report.compared.length} results compared (threshold +${(o.threshold * 100).toFixed(0)} %, Mann–Whitney U one-sided p < ${o.alpha}).`,
  ];
  for (const r of report.regressions) {
    lines.push(
      `REGRESSION ${r.key}: ${r.normalizedBy !== undefined ? "× floor" : "median ms"} ${num(r.baseline)} → ${num(r.current)} (+${(r.change * 100).toFixed(1)} %, p = ${r.p?.toExponential(2)}; raw ${signed(r.rawChange)})`,
    );
  }
  for (const f of report.failures) lines.push(`FAILED ${f.key}: ${f.reason ?? "failed"}`);
  for (const m of report.missing) lines.push(`missing from this run (was in the baseline): ${m}`);
  const slower = report.compared.filter((c) => !c.regression && c.change > o.threshold);
  for (const s of slower) {
    const why =
      s.rawChange <= o.threshold ? `within the threshold in raw time (${signed(s.rawChange)}): its floor got faster` : "not significant";
    lines.push(
      `slower relative to its floor but ${why}: ${s.key} +${(s.change * 100).toFixed(1)} %${s.p === undefined ? " (no samples)" : `, p = ${s.p.toExponential(2)}`}`,
    );
  }
  lines.push(
    report.passed
      ? "PASSED: no confirmed regression, no failed result."
      : `FAILED: ${report.regressions.length} regression(s), ${report.failures.length} failed result(s).`,
  );
  return lines.join("\n");
}
