import { floorKey } from "../scenario.js";
import { SAME_WORK_OPS, sameWorkFloorFor } from "../scenarios/same-work-floors.js";
import type { BenchResult, RunResult } from "../types.js";
import type { Block } from "./blocks.js";
import { fmtDuration, fmtRatio, who } from "./format.js";

/** One write result beside its one-op floor and its same-work floor (medians, ms). */
export interface WritePathRow {
  readonly result: BenchResult;
  readonly oneOp: BenchResult | undefined;
  readonly sameWork: BenchResult | undefined;
  /** The result's median ÷ the same-work floor's median. */
  readonly sameWorkRatio: number | undefined;
}

const okMedian = (r: BenchResult | undefined): number | undefined => (r?.status === "ok" ? r.stats?.median : undefined);

/**
 * The state-update and session-create results that have a same-work floor, from the run's numbers:
 * the operation scenarios' own rows (a sweep's, e.g. session-create at 10,000 sessions, measures
 * something else and has its own section).
 */
export function writePathRows(run: RunResult): WritePathRow[] {
  const byKey = new Map(run.results.map((r) => [r.key, r]));
  const ops = new Set(Object.values(SAME_WORK_OPS));
  const rows: WritePathRow[] = [];
  for (const r of run.results) {
    if (!ops.has(r.op) || r.status !== "ok" || r.scenario !== r.op) continue;
    const name = sameWorkFloorFor(r.adapter, r.durability, r.op);
    if (name === undefined) continue;
    const sameWork = byKey.get(floorKey(name, 1024));
    const oneOp = r.floor === undefined ? undefined : byKey.get(r.floor);
    const m = okMedian(r);
    const f = okMedian(sameWork);
    rows.push({ result: r, oneOp, sameWork, sameWorkRatio: m !== undefined && f !== undefined && f > 0 ? m / f : undefined });
  }
  return rows;
}

/**
 * "The write path: what one update must write": each write beside the one-op floor its goal is
 * defined by and the same-work floor (the raw engine writing what the operation writes), so a
 * reader sees how much of the gap is the physical work and how much is statehouse's own.
 */
export function writePathBlocks(run: RunResult): Block[] {
  const rows = writePathRows(run);
  if (rows.length === 0) return [{ kind: "para", text: "No write results with a same-work floor in this run." }];
  return [
    {
      kind: "para",
      text:
        "With history on (the default), one state update writes in one transaction the document, the new history entry (the oldest kept one goes), " +
        "the history-meta record, a change-log entry and the sequence; one session create writes the record, its 6 index entries and the change log " +
        "(on the file adapter, one commit file holding all of it, under the store's lock). The same-work floor is the raw engine doing exactly these " +
        "writes, same durability, no statehouse code; the one-op floor (one upsert, put or file) is what the goals are defined against. " +
        "“Above same-work” is what statehouse itself costs per write: reads, validation, encoding, checksums, locking.",
    },
    {
      kind: "table",
      header: ["Adapter", "Operation", "Median", "One-op floor", "× one-op", "Same-work floor", "× same-work", "Above same-work"],
      rows: rows.map(({ result: r, oneOp, sameWork, sameWorkRatio }) => {
        const m = okMedian(r);
        const f = okMedian(sameWork);
        return [
          who(r),
          r.op,
          fmtDuration(m),
          oneOp === undefined ? "—" : `${fmtDuration(okMedian(oneOp))} (${oneOp.op.replace(/^floor:/, "")})`,
          fmtRatio(r.ratio),
          sameWork === undefined ? "—" : `${fmtDuration(f)} (${sameWork.op.replace(/^floor:/, "")})`,
          fmtRatio(sameWorkRatio),
          m === undefined || f === undefined ? "—" : m >= f ? fmtDuration(m - f) : `−${fmtDuration(f - m)} (below: not a floor)`,
        ];
      }),
    },
  ];
}
