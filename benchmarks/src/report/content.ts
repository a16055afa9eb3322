import { findScenario } from "../scenarios/index.js";
import { type Targets, judgeAllGoals, reportTargetFor } from "../targets.js";
import type { BenchResult, RunResult } from "../types.js";
import type { Block } from "./blocks.js";
import { type ChartLine, chartsFor, operationsOverview, trendChart } from "./charts.js";
import { fmtBytes, fmtDuration, fmtParams, fmtRate, fmtRatio, sparkline, who } from "./format.js";
import { trend } from "./history.js";
import { goalText, judge, summaryResults, targetText, verdictText } from "./model.js";
import { libraryPeerBlocks, v2ComparisonBlocks } from "./peers.js";
import { recommendationBlocks } from "./recommend.js";
import { writePathBlocks } from "./write-path.js";

const groupOf = (scenario: string) => findScenario(scenario)?.group;

function opLabel(r: BenchResult): string {
  const p = fmtParams(r.params);
  return p === "" ? r.op : `${r.op} (${p})`;
}

/** The summary: one table, adapter × operation, with both verdicts and the ratio to the floor. */
export function summaryTable(run: RunResult, targets: Targets): Block {
  const rows = summaryResults(run, groupOf).map((r) => {
    const j = judge(run, targets, r);
    return [
      who(r),
      opLabel(r),
      fmtDuration(r.stats?.median),
      fmtDuration(r.stats?.p99),
      targetText(j),
      goalText(j),
      verdictText(j),
      fmtRatio(r.ratio),
    ];
  });
  return { kind: "table", header: ["Adapter", "Operation", "Median", "p99", "Report's target", "Our goal", "Verdict", "× floor"], rows };
}

function resultTable(run: RunResult, targets: Targets, results: BenchResult[]): Block {
  const rows = results.map((r) => {
    const j = judge(run, targets, r);
    const s = r.stats;
    const extra = [
      r.diskBytesPerSession !== undefined ? `${fmtBytes(r.diskBytesPerSession)}/session (${fmtBytes(r.diskBytes)} in all)` : "",
      r.check !== undefined ? `check ${r.check.actual}/${r.check.expected}` : "",
      r.note ?? "",
    ]
      .filter((x) => x !== "")
      .join("; ");
    return [
      who(r),
      opLabel(r),
      r.status === "ok" ? fmtDuration(s?.median) : r.status,
      fmtDuration(s?.p99),
      fmtRate(s?.throughput),
      s === undefined ? "—" : `±${s.rme.toFixed(1)} %`,
      s === undefined ? "—" : String(s.count),
      fmtRatio(r.ratio),
      fmtBytes(r.maxRssBytes),
      r.status === "ok" ? verdictText(j) : `${r.status}: ${r.reason ?? ""}`,
      extra,
    ];
  });
  return {
    kind: "table",
    header: ["Adapter", "Operation", "Median", "p99", "Throughput", "RME", "Samples", "× floor", "Peak RSS", "Verdict", "Notes"],
    rows,
  };
}

function goalsBlocks(run: RunResult, targets: Targets): Block[] {
  const all = judgeAllGoals(targets, run.results);
  const count = (v: string) => all.filter((g) => g.judgement.verdict === v).length;
  const rows = all.map(({ goal, result, judgement }) => [
    goal.adapter,
    goal.text,
    judgement.verdict === "met" ? "✓ met" : judgement.verdict === "missed" ? "✗ missed" : "– not judged",
    judgement.detail,
    result === undefined ? "—" : result.key,
  ]);
  return [
    { kind: "para", text: `Goals met: ${count("met")}, missed: ${count("missed")}, not judged: ${count("n/a")}.` },
    { kind: "table", header: ["Adapter", "Goal", "Verdict", "Measured", "Result"], rows },
  ];
}

/** How a result reached the store: what a reader needs to know to compare it with v2's whole-process figures. */
export function pathOf(op: string): "whole process, direct" | "whole process, daemon" | "in process" {
  if (op.startsWith("cli-daemon-") || op.startsWith("curl-") || op.startsWith("daemon-")) return "whole process, daemon";
  if (op.startsWith("cli-")) return "whole process, direct";
  return "in process";
}

const PATHS = ["whole process, direct", "whole process, daemon", "in process"] as const;

function reportTargetsBlocks(run: RunResult, targets: Targets): Block[] {
  const rows = targets.report.targets.map((t) => {
    const judged = run.results.filter((r) => t.ops.includes(r.op)).map((r) => ({ r, verdict: judge(run, targets, r).report.verdict }));
    const byPath = PATHS.map((path) => {
      const here = judged.filter((j) => pathOf(j.r.op) === path);
      if (here.length === 0) return "—";
      const names = (v: string) => [...new Set(here.filter((j) => j.verdict === v).map((j) => who(j.r)))].join(", ");
      const met = names("met");
      const missed = names("missed");
      return [met !== "" ? `met: ${met}` : "", missed !== "" ? `missed: ${missed}` : ""].filter((x) => x !== "").join("; ") || "not judged";
    });
    const verdicts = judged.map((j) => j.verdict);
    return [
      t.text,
      t.reportMs !== undefined ? `${t.reportMs} ms${t.reportNote !== undefined ? ` (${t.reportNote})` : ""}` : (t.reportNote ?? "—"),
      ...byPath,
      String(verdicts.length),
      String(verdicts.filter((v) => v === "met").length),
      String(verdicts.filter((v) => v === "missed").length),
      // Skipped or failed rows, and rows the target does not apply to: results = met + missed + this.
      String(verdicts.filter((v) => v !== "met" && v !== "missed").length),
    ];
  });
  return [
    {
      kind: "para",
      text:
        "The v2 figures were taken whole process (a Python script started per call), so the whole-process columns are the fair comparison; " +
        "in-process figures are what a long-lived program sees. A path that has no result in this run shows “—”.",
    },
    {
      kind: "table",
      header: [
        "Report's target",
        "v2 measured",
        ...PATHS.map((p) => p[0]!.toUpperCase() + p.slice(1)),
        "Results",
        "Met",
        "Missed",
        "Not judged",
      ],
      rows,
    },
  ];
}

function memoryBlocks(run: RunResult, targets: Targets): Block[] {
  const m = targets.report.memory;
  const diskRows = run.results
    .filter((r) => r.diskBytesPerSession !== undefined && r.op === "session-list")
    .map((r) => [
      who(r),
      fmtParams(r.params),
      fmtBytes(r.diskBytes),
      fmtBytes(r.diskBytesPerSession),
      `${fmtBytes(m.perSessionBytesLow)}–${fmtBytes(m.perSessionBytesHigh)}`,
    ]);
  const rss = new Map<string, number>();
  for (const r of run.results) if (r.maxRssBytes !== undefined) rss.set(who(r), Math.max(rss.get(who(r)) ?? 0, r.maxRssBytes));
  return [
    {
      kind: "para",
      text: `Disk is st_blocks × 512 summed over the store after populating it (and compacting, where the adapter can). The v2 report: ~1.1–1.5 KB per session, < ${fmtBytes(m.workspaceBytes)} per workspace.`,
    },
    diskRows.length > 0
      ? { kind: "table", header: ["Adapter", "Store", "Disk", "Per session", "v2 report"], rows: diskRows }
      : { kind: "para", text: "No disk measurements in this run." },
    {
      kind: "para",
      text: "Peak RSS is `process.resourceUsage().maxRSS` of each scenario's child process (per scenario in the sections above); the largest per adapter:",
    },
    { kind: "table", header: ["Adapter", "Largest peak RSS"], rows: [...rss.entries()].map(([a, b]) => [a, fmtBytes(b)]) },
  ];
}

function trendBlocks(history: readonly RunResult[]): Block[] {
  const { runs, series } = trend(history);
  if (runs.length < 2)
    return [{ kind: "para", text: `${runs.length} run in the history so far: the trend appears from the second run on.` }];
  const header = ["Result", "Trend", ...runs.map((r) => `${r.startedAt.slice(5, 16).replace("T", " ")} ${r.env.commit.slice(0, 7)}`)];
  return [
    {
      kind: "para",
      text: `Medians of key results across the last ${runs.length} runs, oldest first (each run is a file in reports/history/).`,
    },
    { kind: "table", header, rows: series.map((s) => [s.label, sparkline(s.medians), ...s.medians.map((m) => fmtDuration(m))]) },
    trendChart(runs, series),
  ];
}

function environmentBlock(run: RunResult): Block {
  const e = run.env;
  const durabilities = [
    ...new Set(run.results.filter((r) => r.adapter !== "floor" && r.adapter !== "process").map((r) => r.durability ?? "none (memory)")),
  ].join(", ");
  return {
    kind: "details",
    summary: "Environment",
    blocks: [
      {
        kind: "table",
        header: ["", ""],
        rows: [
          ["CPU", e.cpu],
          ["Cores", String(e.cores)],
          ["Memory", fmtBytes(e.memoryBytes)],
          ["Node.js", e.node],
          ["Platform", `${e.platform}, kernel ${e.kernel}`],
          ["Commit", `${e.commit}${e.dirty ? " (with uncommitted changes)" : ""}`],
          ["Durability modes measured", durabilities],
          ["Stores in", e.storeDir],
          ["Profile", run.profile],
          [
            "API measured",
            run.api === "domain" ? "domain API (open(url))" : "adapter SPI (openAdapterUrl): core did not export open() yet",
          ],
          ["Started / finished", `${run.startedAt} / ${run.finishedAt}`],
        ],
      },
    ],
  };
}

/** The report's target and our absolute goals for an operation, as chart lines (ms). */
export function chartLines(targets: Targets, op: string): ChartLine[] {
  const lines: ChartLine[] = [];
  const t = reportTargetFor(targets, op);
  if (t?.maxMs !== undefined) lines.push({ value: t.maxMs, label: `report target < ${t.maxMs} ms` });
  for (const g of targets.goals) {
    if (g.op !== op || g.medianMaxMs === undefined || lines.some((l) => l.value === g.medianMaxMs)) continue;
    lines.push({ value: g.medianMaxMs, label: `goal ≤ ${fmtDuration(g.medianMaxMs)} (${g.adapter})` });
  }
  return lines;
}

/**
 * The whole report: the summary first, the goals and the report's targets, a section per
 * scenario (with its charts), memory and disk, the trend, failures, then the environment.
 */
export function reportBlocks(run: RunResult, targets: Targets, history: readonly RunResult[] = [run], withCharts = true): Block[] {
  const failed = run.results.filter((r) => r.status === "failed");
  const skipped = run.results.filter((r) => r.status === "skipped");
  const out: Block[] = [
    { kind: "heading", level: 1, text: "statehouse benchmark report" },
    {
      kind: "para",
      text:
        `Run ${run.id}, profile ${run.profile}: ${run.results.length} results, ${failed.length} failed, ${skipped.length} skipped. ` +
        "Each scenario ran in its own child process against the built packages; in-process timings by tinybench, whole-process timings by wall clock. " +
        "“× floor” is the median divided by the median of the cheapest raw way to do the same work, measured in the same run " +
        "(for a whole process, `node -e 0`). A ratio below 1 means that floor is not a true floor for that row (it does more or other work) and is reported as measured.",
    },
    { kind: "heading", level: 2, text: "Which adapter, for what" },
    ...recommendationBlocks(run),
    { kind: "heading", level: 2, text: "Whole process: statehouse against the v2 system" },
    ...v2ComparisonBlocks(run),
    { kind: "heading", level: 2, text: "In process: statehouse against the libraries users pick instead" },
    ...libraryPeerBlocks(run),
    { kind: "heading", level: 2, text: "Summary" },
    summaryTable(run, targets),
    ...(withCharts ? operationsOverview(run.results.filter((r) => groupOf(r.scenario) === "operation")) : []),
    { kind: "heading", level: 2, text: "Goals" },
    ...goalsBlocks(run, targets),
    { kind: "heading", level: 2, text: "The write path: what one update must write" },
    ...writePathBlocks(run),
    { kind: "heading", level: 2, text: "The report's targets" },
    ...reportTargetsBlocks(run, targets),
  ];
  const scenarios = [...new Set(run.results.map((r) => r.scenario))];
  for (const name of scenarios) {
    const results = run.results.filter((r) => r.scenario === name);
    out.push({ kind: "heading", level: 2, text: findScenario(name)?.title ?? name });
    if (withCharts) out.push(...chartsFor(name, findScenario(name)?.group, results, (op) => chartLines(targets, op)));
    out.push(resultTable(run, targets, results));
  }
  out.push({ kind: "heading", level: 2, text: "Memory and disk" }, ...memoryBlocks(run, targets));
  out.push({ kind: "heading", level: 2, text: "Trend" }, ...trendBlocks(history).filter((b) => withCharts || b.kind !== "chart"));
  if (failed.length + skipped.length > 0) {
    out.push(
      { kind: "heading", level: 2, text: "Failed and skipped" },
      { kind: "list", items: [...failed, ...skipped].map((r) => `${r.status}: ${r.key}: ${r.reason ?? ""}`) },
    );
  }
  out.push(environmentBlock(run));
  return out;
}
