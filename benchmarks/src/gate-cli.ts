#!/usr/bin/env node
/**
 * `node dist/gate-cli.js` (pnpm bench:gate): builds the base commit in a cached git worktree and
 * the current checkout, runs the same scenarios on both alternately on this machine, and exits 1
 * on a regression confirmed by re-running or a failed result. `--against-baseline` keeps the old
 * comparison of reports/latest.json with the committed reports/baseline.json (history only: numbers
 * from another machine give false alarms), and `--update-baseline` replaces that file on purpose.
 */
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compareRuns, formatGateReport } from "./gate.js";
import { DEFAULT_GATE_FILTER, formatGateMarkdown, gateJobs, runGate } from "./gate-run.js";
import { defaultBase, prepareTree } from "./gate-trees.js";
import { INJECT_DELAY_ENV, parseInjectDelay } from "./inject.js";
import type { RunResult } from "./types.js";

const REPORTS = fileURLToPath(new URL("../../reports", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));

const HELP = `statehouse benchmark regression gate

Usage: node dist/gate-cli.js [options]          (pnpm bench:gate)

Builds the base and the head, then runs the same scenarios on both alternately on this machine
(base, head, head, base, …, each run in its own child process against that tree's built
packages) and compares each result's rounds: in-process rows by the CPU time per call of
each round (a shared machine's load moves it less than wall time), whole-process rows by each round's
wall-time median.

Options:
  --base REF         the commit to compare with (default: the merge-base with main; on main,
                     HEAD~1); built once in a git worktree under the cache directory.
                     \`worktree\` = the current checkout as it is on disk
  --head REF         default \`worktree\` (the current checkout, built first unless --no-build)
  --filter LIST      comma-separated scenario[:adapter[/durability]] (default:
                     ${DEFAULT_GATE_FILTER.join(",")})
  --rounds N         interleaved rounds of every job (default 16)
  --confirm-rounds N further rounds of a suspected regression before failing (default: --rounds)
  --threshold X      smallest slowdown that counts, as a fraction (default 0.1 = 10 %)
  --alpha P          level of the one-sided exact rank-sum test on the rounds (default 0.05)
  --no-build         do not build the current checkout (use its dist/ as it is)
  --cache-dir DIR    where commit builds are kept (default ~/.cache/statehouse-bench-gate)
  --summary FILE     also write the markdown summary there (and to $GITHUB_STEP_SUMMARY if set)
  --quiet            no progress lines on stderr
  -h, --help         this help

History mode (the committed baseline, numbers from another machine: no longer a gate):
  --against-baseline [--baseline FILE] [--current FILE]
                     compare reports/latest.json with reports/baseline.json, floor-normalized
  --update-baseline  copy the current run over the baseline and exit

Test only: ${INJECT_DELAY_ENV}="op:fraction" slows the head's measured operation op by
that fraction (see the README); the base never sees it.

Exit status: 0 passed, 1 a confirmed regression or a result that failed on the head,
2 bad usage or a tree that could not be built.`;

async function readRun(file: string): Promise<RunResult> {
  const run = JSON.parse(await readFile(file, "utf8")) as RunResult;
  if (run.schema !== 1 || !Array.isArray(run.results)) throw new Error(`${file} is not a benchmark run (schema 1)`);
  return run;
}

function positive(v: string | undefined, name: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n)) || !Number.isFinite(n))
    throw new UsageError(`${name} needs a positive ${integer ? "whole number" : "number"}`);
  return n;
}

class UsageError extends Error {}

async function legacy(values: Record<string, string | boolean | undefined>): Promise<number> {
  const baselineFile = resolve((values.baseline as string | undefined) ?? `${REPORTS}/baseline.json`);
  const currentFile = resolve((values.current as string | undefined) ?? `${REPORTS}/latest.json`);
  if (values["update-baseline"] === true) {
    const run = await readRun(currentFile);
    await copyFile(currentFile, baselineFile);
    process.stdout.write(`baseline updated: ${baselineFile} is now run ${run.id} (${run.results.length} results)\n`);
    return 0;
  }
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  const alpha = values.alpha === undefined ? undefined : Number(values.alpha);
  if ((threshold !== undefined && !(threshold > 0)) || (alpha !== undefined && !(alpha > 0 && alpha < 1))) {
    process.stderr.write("--threshold needs a positive fraction and --alpha a number between 0 and 1\n");
    return 2;
  }
  let baseline: RunResult;
  try {
    baseline = await readRun(baselineFile);
  } catch (err) {
    process.stderr.write(
      `no usable baseline at ${baselineFile} (${(err as Error).message}); create one on purpose with --update-baseline\n`,
    );
    return 2;
  }
  const current = await readRun(currentFile);
  const report = compareRuns(baseline, current, { threshold, alpha });
  process.stdout.write(`baseline ${baseline.id} vs current ${current.id}\n${formatGateReport(report)}\n`);
  return report.passed ? 0 : 1;
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `pnpm run gate -- --base main` passes the `--` through: skip it.
      args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")),
      options: {
        base: { type: "string" },
        head: { type: "string", default: "worktree" },
        filter: { type: "string" },
        rounds: { type: "string" },
        "confirm-rounds": { type: "string" },
        threshold: { type: "string" },
        alpha: { type: "string" },
        "no-build": { type: "boolean", default: false },
        "cache-dir": { type: "string" },
        summary: { type: "string" },
        quiet: { type: "boolean", default: false },
        "against-baseline": { type: "boolean", default: false },
        baseline: { type: "string" },
        current: { type: "string" },
        "update-baseline": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values["against-baseline"] === true || values["update-baseline"] === true) return legacy(values);
  const log = values.quiet === true ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  let rounds: number | undefined;
  let confirmRounds: number | undefined;
  let threshold: number | undefined;
  let alpha: number | undefined;
  let jobs: ReturnType<typeof gateJobs>;
  try {
    rounds = positive(values.rounds as string | undefined, "--rounds", true);
    const cr = values["confirm-rounds"] as string | undefined;
    confirmRounds = cr === "0" ? 0 : positive(cr, "--confirm-rounds", true);
    threshold = positive(values.threshold as string | undefined, "--threshold", false);
    alpha = positive(values.alpha as string | undefined, "--alpha", false);
    if (alpha !== undefined && alpha >= 1) throw new UsageError("--alpha needs a number between 0 and 1");
    // A bad injected delay is a usage error here, not a failed child per job.
    parseInjectDelay(process.env[INJECT_DELAY_ENV]);
    const filter = (values.filter as string | undefined)
      ?.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    jobs = gateJobs(filter);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let base: ReturnType<typeof prepareTree>;
  let head: ReturnType<typeof prepareTree>;
  try {
    const baseRef = (values.base as string | undefined) ?? defaultBase(REPO);
    const options = { repo: REPO, cacheDir: values["cache-dir"] as string | undefined, buildCheckout: values["no-build"] !== true, log };
    log(`head: ${values.head}; base: ${baseRef}`);
    head = prepareTree("head", values.head as string, options);
    // The checkout is built once even when it is both base and head.
    base = prepareTree("base", baseRef, baseRef === values.head ? { ...options, buildCheckout: false } : options);
  } catch (err) {
    process.stderr.write(`could not prepare the trees: ${(err as Error).message}\n`);
    return 2;
  }
  log(`base ${base.commit} (${base.source}: ${base.dir}); head ${head.commit} (${head.source}: ${head.dir})`);
  const outcome = await runGate({ base, head, jobs, rounds, confirmRounds, threshold, alpha, log });
  const md = formatGateMarkdown(outcome);
  process.stdout.write(`${md}\n`);
  if (values.summary !== undefined) await writeFile(resolve(values.summary as string), `${md}\n`);
  if (process.env.GITHUB_STEP_SUMMARY !== undefined) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${md}\n`);
  return outcome.passed ? 0 : 1;
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
