import { V2_PEER_OF } from "../scenarios/v2-peer.js";
import type { BenchResult, RunResult } from "../types.js";
import type { Block } from "./blocks.js";
import { fmtDuration, fmtRatio, who } from "./format.js";

const median = (r: BenchResult | undefined) => (r?.status === "ok" ? r.stats?.median : undefined);

/**
 * Whole process against the system statehouse replaces, both measured in this run: each CLI
 * command's median beside the v2 stand-in's for the same hook call, as a ratio (below 1 =
 * statehouse is faster). This is what a hook feels, so it comes before in-process numbers.
 */
export function v2ComparisonBlocks(run: RunResult): Block[] {
  const v2 = new Map(run.results.filter((r) => r.adapter === "v2").map((r) => [r.op, r]));
  const pyFloor = median(v2.get("python-floor"));
  const nodeFloor = median(run.results.find((r) => r.op === "node-e-0"));
  const rows = run.results
    .filter((r) => V2_PEER_OF[r.op] !== undefined && r.adapter !== "v2" && r.status !== "skipped")
    .map((r) => {
      const peer = v2.get(V2_PEER_OF[r.op]!);
      const ours = median(r);
      const theirs = median(peer);
      return [
        who(r),
        r.op.replace(/^cli-/, "statehouse "),
        fmtDuration(ours),
        fmtDuration(theirs),
        ours !== undefined && theirs !== undefined ? fmtRatio(ours / theirs) : peer === undefined ? "v2 not measured" : `v2 ${peer.status}`,
      ];
    });
  if (rows.length === 0) return [{ kind: "para", text: "No whole-process CLI results in this run." }];
  return [
    {
      kind: "para",
      text:
        "Whole process, as a hook runs it: each statehouse CLI command beside the v2 system's script for the same call, both started " +
        "fresh for every call and timed in this run on this machine (medians). The v2 system is a Python stand-in written from the seed " +
        "report's description (benchmarks/peers/v2/). “× v2” below 1 means statehouse is faster. " +
        `Interpreter start alone: node -e 0 ${fmtDuration(nodeFloor)}, python3 -c pass ${fmtDuration(pyFloor)}.`,
    },
    { kind: "table", header: ["Adapter", "Command", "statehouse", "v2 stand-in", "× v2"], rows },
  ];
}
