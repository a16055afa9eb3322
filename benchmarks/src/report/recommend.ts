import type { BenchResult, RunResult } from "../types.js";
import type { Block } from "./blocks.js";
import { fmtDuration, fmtRate, who } from "./format.js";

/** A use case, and how this run's numbers rank the adapters for it (lower score is better). */
interface UseCase {
  readonly label: string;
  /** What the score is, in words, for the "based on" column. */
  readonly basis: string;
  /** The rows that count, per adapter label; the score is their geometric mean. */
  pick(results: readonly BenchResult[]): BenchResult[];
  readonly value: (r: BenchResult) => number | undefined;
  readonly show: (score: number) => string;
}

const ok = (r: BenchResult) => r.status === "ok" && r.stats !== undefined;
// The memory adapter keeps nothing once its process exits: never a recommendation for a store.
const persistent = (r: BenchResult) =>
  r.adapter !== "memory" && r.adapter !== "floor" && r.adapter !== "process" && r.adapter !== "v2" && r.adapter !== "peer";
const median = (r: BenchResult) => r.stats?.median;

function maxParam(results: readonly BenchResult[], op: string, param: string): number {
  return Math.max(0, ...results.filter((r) => r.op === op && ok(r)).map((r) => r.params[param] ?? 0));
}

const USE_CASES: readonly UseCase[] = [
  {
    label: "Hooks (a new process per call)",
    basis: "geometric mean of the whole-process CLI medians (state get/set, session create)",
    pick: (rs) => rs.filter((r) => ["cli-state-get", "cli-state-set", "cli-session-create"].includes(r.op)),
    value: median,
    show: fmtDuration,
  },
  {
    label: "Hooks through a daemon (CLI forwarding)",
    basis: "geometric mean of the whole-process medians of the CLI forwarding to `statehouse serve` (state get/set, session create)",
    pick: (rs) => rs.filter((r) => ["daemon-cli-state-get", "daemon-cli-state-set", "daemon-cli-session-create"].includes(r.op)),
    value: median,
    show: fmtDuration,
  },
  {
    label: "Hooks calling the daemon's HTTP API (curl)",
    basis: "geometric mean of the whole-process medians of `curl --unix-socket` to `statehouse serve` (state get/set, session create)",
    pick: (rs) => rs.filter((r) => ["daemon-curl-state-get", "daemon-curl-state-set", "daemon-curl-session-create"].includes(r.op)),
    value: median,
    show: fmtDuration,
  },
  {
    label: "A long-lived process (in process)",
    basis: "geometric mean of the in-process medians of state query, update, session create, list and config get",
    pick: (rs) =>
      rs.filter(
        (r) => ["state-query", "state-update", "session-create", "session-list", "config-get"].includes(r.op) && r.scenario === r.op,
      ),
    value: median,
    show: fmtDuration,
  },
  {
    label: "Many concurrent writers",
    basis: "p99 of one increment at the largest process count measured",
    pick: (rs) => {
      const procs = maxParam(rs, "concurrent-increment", "procs");
      return rs.filter((r) => r.op === "concurrent-increment" && r.params.procs === procs);
    },
    value: (r) => r.stats?.p99,
    show: fmtDuration,
  },
  {
    label: "Large stores",
    basis: "geometric mean of the first page of active sessions at the largest session count and a query of the largest document",
    pick: (rs) => {
      const sessions = maxParam(rs, "session-list-active", "sessions");
      const bytes = maxParam(rs, "doc-query", "bytes");
      return rs.filter(
        (r) => (r.op === "session-list-active" && r.params.sessions === sessions) || (r.op === "doc-query" && r.params.bytes === bytes),
      );
    },
    value: median,
    show: fmtDuration,
  },
];

function scores(useCase: UseCase, results: readonly BenchResult[]): { adapter: string; score: number; rows: number }[] {
  const byAdapter = new Map<string, number[]>();
  for (const r of useCase.pick(results.filter((r) => ok(r) && persistent(r)))) {
    const v = useCase.value(r);
    if (v === undefined || !(v > 0)) continue;
    const key = who(r);
    byAdapter.set(key, [...(byAdapter.get(key) ?? []), v]);
  }
  // Only adapters with every row the best one has are compared, so a missing row cannot win.
  const most = Math.max(0, ...[...byAdapter.values()].map((v) => v.length));
  return [...byAdapter.entries()]
    .filter(([, v]) => v.length === most)
    .map(([adapter, v]) => ({ adapter, rows: v.length, score: Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length) }))
    .sort((a, b) => a.score - b.score);
}

/**
 * "Which adapter, for what": derived from this run's numbers, never written by hand, so it
 * changes when the measurements do. Each use case names the best adapter, its figure, the
 * runner-up and what the ranking is based on.
 */
export function recommendationBlocks(run: RunResult): Block[] {
  const rows = USE_CASES.map((u) => {
    const ranked = scores(u, run.results);
    const [best, next] = ranked;
    if (best === undefined) return [u.label, "not measured in this run", "—", "—", u.basis];
    const margin =
      next === undefined ? "only one measured" : `${next.adapter}: ${u.show(next.score)} (${(next.score / best.score).toFixed(2)}×)`;
    return [u.label, best.adapter, u.show(best.score), margin, u.basis];
  });
  const shared = run.results.filter((r) => r.adapter === "postgres" && ok(r));
  const throughput = shared.find((r) => r.op === "concurrent-increment")?.stats?.throughput;
  rows.push([
    "Several machines",
    shared.length > 0 ? "postgres" : "postgres (not measured in this run)",
    shared.length > 0 ? `${shared.length} results${throughput !== undefined ? `, ${fmtRate(throughput)} increments` : ""}` : "—",
    "—",
    "the only adapter whose store is reached over the network; the others are one machine's files",
  ]);
  return [
    {
      kind: "para",
      text: "Derived from this run's medians (strict durability where an adapter has modes). Each row ranks the adapters that have every result it needs.",
    },
    { kind: "table", header: ["For", "Adapter", "Its figure", "Runner-up", "Based on"], rows },
  ];
}
