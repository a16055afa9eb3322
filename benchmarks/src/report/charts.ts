import type { BenchResult, RunResult } from "../types.js";
import type { Block, ChartSpec } from "./blocks.js";
import { who } from "./format.js";
import type { TrendSeries } from "./history.js";

const WIDTH = 520;

function ok(results: BenchResult[]): BenchResult[] {
  return results.filter((r) => r.status === "ok" && r.stats !== undefined && r.stats.median > 0);
}

function chart(title: string, spec: ChartSpec): Block {
  return { kind: "chart", title, spec: { width: WIDTH, title, background: "white", ...spec } };
}

/** A log domain from the decade below the smallest value to the decade above the largest. */
function logDomain(values: number[]): [number, number] {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...pos)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...pos)));
  return [lo, hi > lo ? hi : lo * 10];
}

/** A vertical line across a chart: a report target or an absolute goal (ms). */
export interface ChartLine {
  readonly value: number;
  readonly label: string;
}

// A linear axis from zero reads truest; a log axis only when the values span too much for one.
const LINEAR_SPAN = 50;

/**
 * Bars of the median per adapter with the p99 as a red tick and the report's target and our
 * goals as labelled lines. Linear from zero where the values (and lines) span less than 50×, so
 * a target is never off the chart; else a log axis from the decade below the smallest value.
 */
function bars(title: string, rows: { label: string; median: number; p99: number }[], lines: readonly ChartLine[] = []): Block {
  const values = [...rows.flatMap((r) => [r.median, r.p99]), ...lines.map((l) => l.value)].filter((v) => v > 0 && Number.isFinite(v));
  const linear = Math.max(...values) / Math.min(...values) <= LINEAR_SPAN;
  const domain: [number, number] = linear ? [0, Math.max(...values) * 1.1] : logDomain(values);
  const scale = linear ? { type: "linear", domain, nice: false } : { type: "log", domain };
  const axisTitle = `median, red tick p99 (ms, ${linear ? "linear" : "log scale"})${lines.length > 0 ? "; lines: target and goals" : ""}`;
  const ruleLayers =
    lines.length === 0
      ? []
      : [
          {
            data: { values: lines },
            mark: { type: "rule", color: "#54a24b", strokeDash: [4, 3], strokeWidth: 2 },
            encoding: { x: { field: "value", type: "quantitative" } },
          },
          {
            data: { values: lines },
            mark: { type: "text", color: "#54a24b", align: "left", dx: 3, dy: -4, baseline: "bottom", fontSize: 10 },
            encoding: { x: { field: "value", type: "quantitative" }, text: { field: "label" }, y: { value: 0 } },
          },
        ];
  return chart(title, {
    height: { step: 18 },
    layer: [
      {
        data: { values: rows },
        encoding: { y: { field: "label", type: "nominal", title: null, sort: null } },
        layer: [
          {
            mark: { type: "bar", color: "#4c78a8", clip: true },
            // A log scale has no zero: the bars start at the domain's low end instead.
            encoding: { x: { field: "median", type: "quantitative", scale, title: axisTitle }, x2: { datum: domain[0] } },
          },
          { mark: { type: "tick", color: "#e45756", thickness: 2 }, encoding: { x: { field: "p99", type: "quantitative" } } },
        ],
      },
      ...ruleLayers,
    ],
  });
}

/** Every in-process operation at once: a group of bars per operation, a bar per adapter. */
export function operationsOverview(results: BenchResult[]): Block[] {
  const good = ok(results);
  if (good.length === 0) return [];
  const rows = good.map((r) => ({ op: r.op, adapter: who(r), median: r.stats!.median }));
  const domain = logDomain(rows.map((r) => r.median));
  return [
    chart("median per operation and adapter", {
      height: { step: 9 },
      data: { values: rows },
      mark: { type: "bar", clip: true },
      encoding: {
        y: { field: "op", type: "nominal", title: null, sort: null },
        yOffset: { field: "adapter", type: "nominal", sort: null },
        x: { field: "median", type: "quantitative", scale: { type: "log", domain }, title: "median (ms, log scale)" },
        x2: { datum: domain[0] },
        color: { field: "adapter", type: "nominal", title: "adapter", sort: null },
      },
    }),
  ];
}

/** Curves of one statistic against a geometric sweep parameter, log on both axes. */
function curves(title: string, rows: { series: string; x: number; y: number }[], xTitle: string, yTitle: string, logY = true): Block {
  return chart(title, {
    height: 260,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "x", type: "quantitative", scale: { type: "log" }, title: xTitle },
      y: { field: "y", type: "quantitative", scale: { type: logY ? "log" : "linear" }, title: yTitle },
      color: { field: "series", type: "nominal", title: "adapter" },
    },
  });
}

function byOp(results: BenchResult[]): Map<string, BenchResult[]> {
  const m = new Map<string, BenchResult[]>();
  for (const r of results) m.set(r.op, [...(m.get(r.op) ?? []), r]);
  return m;
}

/** The charts of one scenario's section; `linesFor` gives the target and goal lines of an operation. */
export function chartsFor(
  scenario: string,
  group: string | undefined,
  results: BenchResult[],
  linesFor: (op: string) => readonly ChartLine[] = () => [],
): Block[] {
  const good = ok(results);
  if (good.length === 0) return [];
  switch (group) {
    case "operation":
    case "cli":
      return [...byOp(good).entries()].map(([op, rs]) =>
        bars(
          op,
          rs.map((r) => ({ label: who(r), median: r.stats!.median, p99: r.stats!.p99 })),
          linesFor(op),
        ),
      );
    case "floor":
      if (scenario !== "floors") return [];
      return [
        bars(
          "floors (1 KB)",
          good
            .filter((r) => r.params.bytes === 1024)
            .map((r) => ({ label: r.op.replace(/^floor:/, ""), median: r.stats!.median, p99: r.stats!.p99 })),
        ),
      ];
    case "doc-size":
      return [...byOp(good).entries()].map(([op, rs]) =>
        curves(
          `${op}: median by document size`,
          rs.map((r) => ({ series: who(r), x: r.params.bytes!, y: r.stats!.median })),
          "document size (bytes, log)",
          "median (ms, log)",
        ),
      );
    case "session-count": {
      const out = [...byOp(good).entries()].map(([op, rs]) =>
        curves(
          `${op}: median by session count`,
          rs.map((r) => ({ series: who(r), x: r.params.sessions!, y: r.stats!.median })),
          "sessions (log)",
          "median (ms, log)",
        ),
      );
      const disk = good.filter((r) => r.op === "session-list" && r.diskBytesPerSession !== undefined && r.diskBytesPerSession > 0);
      if (disk.length > 0) {
        out.push(
          curves(
            "disk bytes per session",
            disk.map((r) => ({ series: who(r), x: r.params.sessions!, y: r.diskBytesPerSession! })),
            "sessions (log)",
            "bytes per session (log)",
          ),
        );
      }
      return out;
    }
    case "concurrency":
      return [
        curves(
          "concurrent increments: p99 latency",
          good.map((r) => ({ series: who(r), x: r.params.procs!, y: r.stats!.p99 })),
          "processes (log)",
          "p99 (ms, log)",
        ),
        curves(
          "concurrent increments: aggregate throughput",
          good.map((r) => ({ series: who(r), x: r.params.procs!, y: r.stats!.throughput })),
          "processes (log)",
          "increments per second (log)",
        ),
      ];
    default:
      return [];
  }
}

/** Key medians across the history's runs. */
export function trendChart(runs: readonly RunResult[], series: readonly TrendSeries[]): Block {
  const rows = series.flatMap((s) =>
    s.medians.flatMap((m, i) =>
      m !== undefined && m > 0 ? [{ series: s.label, run: `${i + 1}: ${runs[i]!.env.commit.slice(0, 7)}`, y: m }] : [],
    ),
  );
  return chart("key medians across runs", {
    height: 300,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "run", type: "ordinal", title: "run (oldest first)", sort: null },
      y: { field: "y", type: "quantitative", scale: { type: "log" }, title: "median (ms, log)" },
      color: { field: "series", type: "nominal", title: null },
    },
  });
}
