import { V2_PEER_OF } from "../scenarios/v2-peer.js";
import type { BenchResult, RunResult } from "../types.js";
import type { Block } from "./blocks.js";
import { fmtDuration, fmtRatio, who } from "./format.js";

const median = (r: BenchResult | undefined) => (r?.status === "ok" ? r.stats?.median : undefined);

/**
 * Whole process against the system statehouse replaces, both measured in this run: each hook call
 * as the direct CLI, the CLI forwarding to a daemon and curl to the daemon run it, beside the v2
 * stand-in's script for the same call, as ratios (below 1 = statehouse is faster). This is what a
 * hook feels, so it comes before in-process numbers; the daemon columns are there because the
 * direct CLI pays Node's start-up plus loading core and an adapter on every call.
 */
export function v2ComparisonBlocks(run: RunResult): Block[] {
  const v2 = new Map(run.results.filter((r) => r.adapter === "v2").map((r) => [r.op, r]));
  const pyFloor = median(v2.get("python-floor"));
  const nodeFloor = median(run.results.find((r) => r.op === "node-e-0"));
  const curlFloor = median(run.results.find((r) => r.op === "curl-unix-floor"));
  const ratio = (ours: BenchResult | undefined, peer: BenchResult | undefined) => {
    const a = median(ours);
    const b = median(peer);
    if (a === undefined) return "—";
    return b !== undefined ? fmtRatio(a / b) : peer === undefined ? "v2 not measured" : `v2 ${peer.status}`;
  };
  const rows = run.results
    .filter((r) => V2_PEER_OF[r.op] !== undefined && r.adapter !== "v2" && r.status !== "skipped")
    .map((r) => {
      const peer = v2.get(V2_PEER_OF[r.op]!);
      const command = r.op.replace(/^cli-/, "");
      const same = (op: string) => run.results.find((x) => x.op === op && who(x) === who(r) && x.status === "ok");
      const viaCli = same(`daemon-cli-${command}`);
      const viaCurl = same(`daemon-curl-${command}`);
      return [
        who(r),
        command.replace("-", " "),
        fmtDuration(median(r)),
        fmtDuration(median(viaCli)),
        fmtDuration(median(viaCurl)),
        fmtDuration(median(peer)),
        ratio(r, peer),
        ratio(viaCli, peer),
        ratio(viaCurl, peer),
      ];
    });
  if (rows.length === 0) return [{ kind: "para", text: "No whole-process CLI results in this run." }];
  return [
    {
      kind: "para",
      text:
        "Whole process, as a hook runs it: each call started fresh and timed in this run on this machine (medians), three ways — " +
        "the statehouse CLI opening the store itself (“direct”), the same CLI forwarding the command to a running `statehouse serve` " +
        "(“CLI via daemon”: Node's start plus one small module), and `curl --unix-socket` to that daemon's HTTP API (no Node start at all) — " +
        "beside the v2 system's script for the same call. The v2 system is a Python stand-in written from the seed report's description " +
        "(benchmarks/peers/v2/). “× v2” below 1 means statehouse is faster. " +
        `Process start alone: node -e 0 ${fmtDuration(nodeFloor)}, python3 -c pass ${fmtDuration(pyFloor)}, ` +
        `curl to a trivial server ${fmtDuration(curlFloor)}. “—”: not measured in this run.`,
    },
    {
      kind: "table",
      header: [
        "Adapter",
        "Command",
        "direct",
        "CLI via daemon",
        "curl → daemon",
        "v2 stand-in",
        "× v2 direct",
        "× v2 CLI via daemon",
        "× v2 curl",
      ],
      rows,
    },
  ];
}

/** The library peer rows (library-peers.ts) each statehouse document row is read against. */
const LIBRARY_PEER_OF: Readonly<Record<string, { keyv: string; lowdb: string }>> = {
  "doc-get": { keyv: "keyv-sqlite-get", lowdb: "lowdb-get" },
  "doc-set": { keyv: "keyv-sqlite-set", lowdb: "lowdb-set" },
};

/**
 * In process against what library users pick instead (keyv with its SQLite store, lowdb), all
 * measured in this run on the same 1 KB document: statehouse's whole-document get and set on
 * each adapter beside the peers', as ratios (below 1 = statehouse is faster), with what each
 * peer does and does not guarantee, since the cheapest row is often the one that promises least.
 */
export function libraryPeerBlocks(run: RunResult): Block[] {
  const peers = new Map(run.results.filter((r) => r.adapter === "peer").map((r) => [r.op, r]));
  const ratio = (ours: number | undefined, peer: BenchResult | undefined) => {
    const theirs = median(peer);
    if (ours === undefined) return "—";
    if (theirs === undefined) return peer === undefined ? "not measured" : peer.status;
    return fmtRatio(ours / theirs);
  };
  const rows = run.results
    .filter((r) => LIBRARY_PEER_OF[r.op] !== undefined && r.status !== "skipped")
    .map((r) => {
      const of = LIBRARY_PEER_OF[r.op]!;
      const ours = median(r);
      return [
        r.op === "doc-get" ? "get" : "set",
        who(r),
        fmtDuration(ours),
        fmtDuration(median(peers.get(of.keyv))),
        ratio(ours, peers.get(of.keyv)),
        fmtDuration(median(peers.get(of.lowdb))),
        ratio(ours, peers.get(of.lowdb)),
      ];
    });
  if (rows.length === 0) return [{ kind: "para", text: "No whole-document get/set results in this run." }];
  return [
    {
      kind: "para",
      text:
        "In process, a whole 1 KB document read and replaced, medians from this run: statehouse on each adapter beside keyv 6 with its SQLite " +
        "store (@keyv/sqlite on better-sqlite3, default settings: rollback journal, synchronous=FULL, one durable autocommit per set; a " +
        "key-value map with no revisions, conditional writes, multi-key transactions or change feed) and lowdb 7 with its JSON file (the " +
        "whole database in memory, so a get is a property read; a set rewrites the whole file without fsync; one process only, two " +
        "processes lose each other's writes). “× keyv” and “× lowdb” below 1 mean statehouse is faster. statehouse's strict rows are " +
        "durable when they return; its relaxed rows are comparable in durability to lowdb's set.",
    },
    { kind: "table", header: ["Op", "statehouse adapter", "statehouse", "keyv + SQLite", "× keyv", "lowdb", "× lowdb"], rows },
  ];
}
