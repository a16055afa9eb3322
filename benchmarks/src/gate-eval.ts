#!/usr/bin/env node
/**
 * `node dist/gate-eval.js` (pnpm bench:gate-eval): measures the interleaved regression gate on this
 * machine and writes reports/gate.md. A/A runs (the current checkout as base and head) count false
 * alarms; runs with the test-only injected delay on one operation in the head count detections.
 * Every figure in the report is counted from gate runs this command made.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type GateOutcome, gateJobs, runGate } from "./gate-run.js";
import { prepareTree } from "./gate-trees.js";
import { INJECT_DELAY_ENV } from "./inject.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const REPORTS = fileURLToPath(new URL("../../reports", import.meta.url));

/** The evaluation's scenarios: the gate's in-process rows, and the injected operation on three adapters. */
export const EVAL_FILTER = [
  "state-query:sqlite",
  "session-create:sqlite",
  "config-get:sqlite",
  "state-update:file",
  "state-update:sqlite",
  "state-update:lmdb",
];

const HELP = `Measures the regression gate: false alarms (A/A) and detection of injected slowdowns.

Usage: node dist/gate-eval.js [options]     (pnpm bench:gate-eval)

Options:
  --pairs N          A/A gate runs (default 20)
  --runs-per-level N gate runs per injected slowdown (default 4)
  --levels LIST      injected slowdowns as fractions (default 0.1,0.2,0.5)
  --op NAME          the operation slowed down (default state-update)
  --filter LIST      the gate's jobs (default ${EVAL_FILTER.join(",")})
  --rounds N         gate rounds (default: the gate's, 16)
  --max-minutes M    start no new gate run after M minutes (the report says how many ran)
  --out FILE         default reports/gate.md
  -h, --help`;

interface EvalRun {
  readonly kind: "aa" | "inject";
  readonly level: number;
  readonly outcome: GateOutcome;
  readonly load: [number, number];
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function rate(n: number, d: number): string {
  return d === 0 ? "–" : `${n} / ${d} = ${pct(n / d)}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")),
    options: {
      pairs: { type: "string", default: "20" },
      "runs-per-level": { type: "string", default: "4" },
      levels: { type: "string", default: "0.1,0.2,0.5" },
      op: { type: "string", default: "state-update" },
      filter: { type: "string" },
      rounds: { type: "string" },
      "max-minutes": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const pairs = Number(values.pairs);
  const perLevel = Number(values["runs-per-level"]);
  const levels = values.levels.split(",").map(Number);
  const op = values.op;
  const filter = values.filter?.split(",") ?? EVAL_FILTER;
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  const maxMs = values["max-minutes"] === undefined ? Number.POSITIVE_INFINITY : Number(values["max-minutes"]) * 60_000;
  const out = resolve(values.out ?? `${REPORTS}/gate.md`);
  const jobs = gateJobs(filter);
  const tree = prepareTree("head", "worktree", { repo: REPO, buildCheckout: false });
  const base = { ...tree, role: "base" as const };
  // Interleave the kinds, so a run cut short by --max-minutes still has some of each.
  const plan: { kind: "aa" | "inject"; level: number }[] = [];
  const queues = [
    Array.from({ length: pairs }, () => ({ kind: "aa" as const, level: 0 })),
    ...levels.map((l) => Array.from({ length: perLevel }, () => ({ kind: "inject" as const, level: l }))),
  ];
  while (queues.some((q) => q.length > 0)) for (const q of queues) if (q.length > 0) plan.push(q.shift()!);
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]!), 10_000);
  const started = performance.now();
  const runs: EvalRun[] = [];
  for (const [i, p] of plan.entries()) {
    if (performance.now() - started > maxMs) break;
    const headEnv = { ...process.env };
    delete headEnv[INJECT_DELAY_ENV];
    if (p.kind === "inject") headEnv[INJECT_DELAY_ENV] = `${op}:${p.level}`;
    const l0 = loadavg()[0]!;
    const outcome = await runGate({ base, head: tree, jobs, rounds, headEnv });
    runs.push({ kind: p.kind, level: p.level, outcome, load: [l0, loadavg()[0]!] });
    const alarms = outcome.comparisons.filter((c) => c.regression).map((c) => c.key);
    process.stderr.write(
      `[${i + 1}/${plan.length}] ${p.kind === "aa" ? "A/A" : `inject ${op} +${pct(p.level)}`}: ${outcome.seconds.toFixed(0)} s, regressions: ${alarms.join(", ") || "none"}\n`,
    );
  }
  clearInterval(sampler);
  const minutes = (performance.now() - started) / 60_000;
  writeFileSync(out, render({ runs, plan: plan.length, op, filter, minutes, loads, argv: process.argv.slice(2), jobs: jobs.length }));
  process.stdout.write(`wrote ${out} (${runs.length} of ${plan.length} planned gate runs, ${minutes.toFixed(0)} min)\n`);
  return 0;
}

interface RenderInput {
  runs: EvalRun[];
  plan: number;
  op: string;
  filter: string[];
  minutes: number;
  loads: number[];
  argv: string[];
  jobs: number;
}

/** The middle value (upper median), NaN for none. */
function middle(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)]! : Number.NaN;
}

function signed(x: number): string {
  return Number.isNaN(x) ? "–" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} %`;
}

function isInjected(key: string, op: string): boolean {
  return key.split("·")[2] === op;
}

function render(r: RenderInput): string {
  const aaRuns = r.runs.filter((x) => x.kind === "aa");
  const aa = aaRuns.flatMap((x) => x.outcome.comparisons);
  // Rows of injected runs that were not slowed down are A/A comparisons too (the variable names one operation).
  const aaSide = r.runs.filter((x) => x.kind === "inject").flatMap((x) => x.outcome.comparisons.filter((c) => !isInjected(c.key, r.op)));
  const falseAlarms = [...aa, ...aaSide].filter((c) => c.regression);
  const suspects = [...aa, ...aaSide].filter((c) => c.first.slower || c.first.borderline);
  const levels = [...new Set(r.runs.filter((x) => x.kind === "inject").map((x) => x.level))].sort((a, b) => a - b);
  const first = r.runs[0]?.outcome;
  const o = first?.options;
  const loads = r.loads.length > 0 ? r.loads : r.runs.flatMap((x) => x.load);
  const mean = loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length);
  const secs = r.runs.map((x) => x.outcome.seconds);
  const lines = [
    "# The regression gate, measured",
    "",
    `Generated by \`pnpm bench:gate-eval\` (\`node benchmarks/dist/gate-eval.js ${r.argv.join(" ")}\`) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ` +
      `commit ${first?.head.commit ?? "?"}; not written by hand. Machine: ${cpus()[0]?.model.trim() ?? "?"}, ${cpus().length} cores, Node ${process.version}.`,
    "",
    `Each gate run is \`runGate\` as \`pnpm bench:gate\` runs it: the current checkout as both base and head, ${r.jobs} jobs ` +
      `(\`${r.filter.join(",")}\`), ${first?.rounds ?? "?"} interleaved rounds each in a fresh child process, a suspect re-run for ${first?.confirmRounds ?? "?"} more rounds, ` +
      `threshold +${((o?.threshold ?? 0) * 100).toFixed(0)} %, exact one-sided rank-sum p < ${o?.alpha ?? "?"} (a suspect is confirmed by its first and re-run rounds together; ` +
      `a borderline result, over the threshold with p < ${o?.screenAlpha ?? "?"} only, is re-run too and confirmed by the fresh rounds alone; both count as suspects below), ` +
      "in-process rows compared by the median CPU time of one call in each round (the process's user + system time across each call), " +
      "which other processes' load moves less than wall time; the wall-time change of the same rounds is shown beside it. " +
      `A/A runs change nothing; injected runs set \`${INJECT_DELAY_ENV}=${r.op}:<level>\` in the head's children only, so \`${r.op}\` is that much slower there ` +
      `(after each call, a busy-wait until the process has spent that fraction of the call's own CPU time again: more work, in proportion). ${r.runs.length} of ${r.plan} planned gate runs ran in ${r.minutes.toFixed(0)} min` +
      `${r.runs.length < r.plan ? " (the rest did not fit the time budget: the counts below are of the runs that ran, no more)" : ""}; one gate run took ` +
      `${secs.length > 0 ? `${Math.min(...secs).toFixed(0)}–${Math.max(...secs).toFixed(0)} s` : "–"}.`,
    "",
    `Machine load (1-minute load average, sampled every 10 s during the evaluation, ${cpus().length} cores, shared with other engineers' builds and tests): ` +
      `mean ${mean.toFixed(1)}, min ${Math.min(...loads).toFixed(1)}, max ${Math.max(...loads).toFixed(1)}.`,
    "",
    "## False alarms (A/A)",
    "",
    "Counted per result comparison, not per run.",
    "",
    "| comparisons | gate runs | suspects after the first rounds | false alarms (confirmed) | rate | goal |",
    "|--:|--:|--:|--:|--:|---|",
    `| ${aa.length} in A/A runs | ${aaRuns.length} | ${aa.filter((c) => c.first.slower || c.first.borderline).length} | ${aa.filter((c) => c.regression).length} | ${rate(aa.filter((c) => c.regression).length, aa.length)} | < 1 % |`,
    `| ${aaSide.length} unslowed rows of injected runs | ${r.runs.length - aaRuns.length} | ${aaSide.filter((c) => c.first.slower || c.first.borderline).length} | ${aaSide.filter((c) => c.regression).length} | ${rate(aaSide.filter((c) => c.regression).length, aaSide.length)} | < 1 % |`,
    `| ${aa.length + aaSide.length} all | ${r.runs.length} | ${suspects.length} | ${falseAlarms.length} | ${rate(falseAlarms.length, aa.length + aaSide.length)} | < 1 % |`,
    "",
    "## Detection of an injected slowdown",
    "",
    `| slowdown of ${r.op} | gate runs | comparisons | suspects after the first rounds | detected (confirmed) | rate | median measured change | median wall-time change |`,
    "|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const level of levels) {
    const runs = r.runs.filter((x) => x.kind === "inject" && x.level === level);
    const cs = runs.flatMap((x) => x.outcome.comparisons.filter((c) => isInjected(c.key, r.op)));
    const med = middle(cs.map((c) => c.first.change));
    const wallMed = middle(cs.map((c) => (c.wall ?? c.first).change));
    lines.push(
      `| +${(level * 100).toFixed(0)} % | ${runs.length} | ${cs.length} | ${cs.filter((c) => c.first.slower || c.first.borderline).length} | ${cs.filter((c) => c.regression).length} | ${rate(cs.filter((c) => c.regression).length, cs.length)} | ${signed(med)} | ${signed(wallMed)} |`,
    );
  }
  lines.push(
    "",
    "Goal: ≥ 95 % for +20 %.",
    "",
    "## Every comparison",
    "",
    "| run | kind | result | compared by | first change | first p | with re-run: change | p | wall-time change | verdict |",
    "|--:|---|---|---|--:|--:|--:|--:|--:|---|",
  );
  for (const [i, x] of r.runs.entries()) {
    for (const c of x.outcome.comparisons) {
      const kind =
        x.kind === "aa"
          ? "A/A"
          : isInjected(c.key, r.op)
            ? `+${(x.level * 100).toFixed(0)} %`
            : `A/A (beside +${(x.level * 100).toFixed(0)} %)`;
      const v = c.regression
        ? c.rerunKind === "fresh"
          ? "regression (borderline, confirmed by fresh rounds)"
          : "regression"
        : c.first.slower
          ? "suspect, cleared"
          : c.first.borderline
            ? "borderline, cleared"
            : "ok";
      lines.push(
        `| ${i + 1} | ${kind} | ${c.key} | ${c.metric === "cpu" ? "CPU" : "wall"} | ${(c.first.change * 100).toFixed(1)} % | ${c.first.p.toPrecision(2)} | ${c.rerun === undefined ? "" : `${(c.rerun.change * 100).toFixed(1)} %`} | ${c.rerun === undefined ? "" : c.rerun.p.toPrecision(2)} | ${c.wall === undefined ? "" : `${(c.wall.change * 100).toFixed(1)} %`} | ${v} |`,
      );
    }
    for (const f of x.outcome.failures) lines.push(`| ${i + 1} | failed | ${f.key} | | | | | | | ${f.reason.replace(/\|/g, "/")} |`);
  }
  return `${lines.join("\n")}\n`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
