import {
  type Goal,
  type Judgement,
  type ReportTarget,
  type Targets,
  goalsFor,
  judgeGoal,
  judgeReport,
  reportTargetFor,
} from "../targets.js";
import type { BenchResult, RunResult } from "../types.js";

export interface JudgedResult {
  readonly result: BenchResult;
  readonly target: ReportTarget | undefined;
  readonly report: Judgement;
  readonly goals: { goal: Goal; judgement: Judgement }[];
}

export function judge(run: RunResult, targets: Targets, r: BenchResult): JudgedResult {
  const target = reportTargetFor(targets, r.op);
  return {
    result: r,
    target,
    report: judgeReport(target, r),
    goals: goalsFor(targets, r).map((goal) => ({ goal, judgement: judgeGoal(goal, r, run.results) })),
  };
}

// Text marks that every font has (emoji are missing on many headless machines).
const MARK = { met: "✓", missed: "✗", "n/a": "–" } as const;

/** `report ✅ · goal ❌`, or the failure. */
export function verdictText(j: JudgedResult): string {
  if (j.result.status === "skipped") return `skipped: ${j.result.reason ?? ""}`;
  if (j.result.status === "failed") return `FAILED: ${j.result.reason ?? ""}`;
  const parts: string[] = [];
  if (j.report.verdict !== "n/a") parts.push(`report ${MARK[j.report.verdict]}`);
  if (j.goals.length > 0) {
    const missed = j.goals.some((g) => g.judgement.verdict === "missed");
    const na = j.goals.every((g) => g.judgement.verdict === "n/a");
    parts.push(`goal ${na ? MARK["n/a"] : missed ? MARK.missed : MARK.met}`);
  }
  return parts.length === 0 ? "measured" : parts.join(" · ");
}

export function targetText(j: JudgedResult): string {
  const t = j.target;
  if (t === undefined) return "—";
  if (t.maxMs !== undefined) return `< ${t.maxMs} ms${t.reportMs !== undefined ? ` (v2: ${t.reportMs} ms)` : ""}`;
  if (t.exact === true) return "no corruption";
  return t.reportMs !== undefined ? `none (v2: ${t.reportMs} ms)` : "none";
}

export function goalText(j: JudgedResult): string {
  return j.goals.length === 0 ? "—" : j.goals.map((g) => g.goal.text).join("; ");
}

const SUMMARY_GROUPS = new Set(["operation", "cli"]);

/**
 * The rows of the summary table: every in-process operation and CLI command on every adapter,
 * plus the largest concurrency point measured.
 */
export function summaryResults(run: RunResult, groupOf: (scenario: string) => string | undefined): BenchResult[] {
  const conc = run.results.filter((r) => r.op === "concurrent-increment");
  const maxProcs = Math.max(0, ...conc.map((r) => r.params.procs ?? 0));
  return run.results.filter((r) => {
    const g = groupOf(r.scenario);
    if (g !== undefined && SUMMARY_GROUPS.has(g)) return true;
    return r.op === "concurrent-increment" && r.params.procs === maxProcs;
  });
}
