#!/usr/bin/env node
/**
 * `node dist/gate-cli.js`: compares reports/latest.json with reports/baseline.json and exits 1
 * on a confirmed regression or a failed result. `--update-baseline` makes the current run the
 * baseline: only ever on purpose, never as a side effect of a gate run.
 */
import { copyFile, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compareRuns, formatGateReport } from "./gate.js";
import type { RunResult } from "./types.js";

const REPORTS = fileURLToPath(new URL("../../reports", import.meta.url));

const HELP = `statehouse benchmark regression gate

Usage: node dist/gate-cli.js [options]          (pnpm bench:gate)
       node dist/gate-cli.js --update-baseline  (make the current run the baseline, on purpose)

Options:
  --baseline FILE    default reports/baseline.json
  --current FILE     default reports/latest.json
  --threshold X      smallest slowdown that counts, as a fraction (default 0.25 = 25 %)
  --alpha P          significance level of the one-sided Mann–Whitney U test (default 0.01)
  --update-baseline  copy the current run over the baseline and exit
  -h, --help         this help

A result regresses when its median grew by more than the threshold both normalized by its
floor and in raw time, AND the rank test on its retained samples says the slowdown is
significant. A failed result (an error, a lost update) always fails the gate. Exit status: 0 passed, 1 failed, 2 bad usage.`;

async function readRun(file: string): Promise<RunResult> {
  const run = JSON.parse(await readFile(file, "utf8")) as RunResult;
  if (run.schema !== 1 || !Array.isArray(run.results)) throw new Error(`${file} is not a benchmark run (schema 1)`);
  return run;
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `pnpm run bench -- --profile full` passes the `--` through: skip it.
      args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")),
      options: {
        baseline: { type: "string" },
        current: { type: "string" },
        threshold: { type: "string" },
        alpha: { type: "string" },
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

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
