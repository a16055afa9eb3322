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

/** Bars of the median per adapter, log axis (values span ns to ms), with the p99 as a tick. */
function bars(title: string, rows: { label: string; median: number; p99: number }[]): Block {
  return chart(title, {
    height: { step: 18 },
    data: { values: rows },
    encoding: { y: { field: "label", type: "nominal", title: null, sort: null } },
    layer: [
      {
        mark: { type: "bar", color: "#4c78a8" },
        encoding: { x: { field: "median", type: "quantitative", scale: { type: "log" }, title: "median (ms, log scale)" } },
      },
      { mark: { type: "tick", color: "#e45756", thickness: 2 }, encoding: { x: { field: "p99", type: "quantitative" } } },
    ],
  });
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

/** The charts of one scenario's section. */
export function chartsFor(scenario: string, group: string | undefined, results: BenchResult[]): Block[] {
  const good = ok(results);
  if (good.length === 0) return [];
  switch (group) {
    case "operation":
    case "cli":
      return [...byOp(good).entries()].map(([op, rs]) =>
        bars(op, rs.map((r) => ({ label: who(r), median: r.stats!.median, p99: r.stats!.p99 }))),
      );
    case "floor":
      if (scenario !== "floors") return [];
      return [bars("floors (1 KB)", good.filter((r) => r.params.bytes === 1024).map((r) => ({ label: r.op.replace(/^floor:/, ""), median: r.stats!.median, p99: r.stats!.p99 })))];
    case "doc-size":
      return [...byOp(good).entries()].map(([op, rs]) =>
        curves(`${op}: median by document size`, rs.map((r) => ({ series: who(r), x: r.params.bytes!, y: r.stats!.median })), "document size (bytes, log)", "median (ms, log)"),
      );
    case "session-count": {
      const out = [...byOp(good).entries()].map(([op, rs]) =>
        curves(`${op}: median by session count`, rs.map((r) => ({ series: who(r), x: r.params.sessions!, y: r.stats!.median })), "sessions (log)", "median (ms, log)"),
      );
      const disk = good.filter((r) => r.op === "session-list" && r.diskBytesPerSession !== undefined && r.diskBytesPerSession > 0);
      if (disk.length > 0) {
        out.push(curves("disk bytes per session", disk.map((r) => ({ series: who(r), x: r.params.sessions!, y: r.diskBytesPerSession! })), "sessions (log)", "bytes per session (log)"));
      }
      return out;
    }
    case "concurrency":
      return [
        curves("concurrent increments: p99 latency", good.map((r) => ({ series: who(r), x: r.params.procs!, y: r.stats!.p99 })), "processes (log)", "p99 (ms, log)"),
        curves("concurrent increments: aggregate throughput", good.map((r) => ({ series: who(r), x: r.params.procs!, y: r.stats!.throughput })), "processes (log)", "increments per second (log)"),
      ];
    default:
      return [];
  }
}

/** Key medians across the history's runs. */
export function trendChart(runs: readonly RunResult[], series: readonly TrendSeries[]): Block {
  const rows = series.flatMap((s) =>
    s.medians.flatMap((m, i) => (m !== undefined && m > 0 ? [{ series: s.label, run: `${i + 1}: ${runs[i]!.env.commit.slice(0, 7)}`, y: m }] : [])),
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

