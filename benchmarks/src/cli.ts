#!/usr/bin/env node
/**
 * `node dist/cli.js [--profile quick|full] [--adapters a,b] [--scenarios x,y] [--out DIR]`:
 * runs the benchmark scenarios and writes reports/latest.{md,html,json} plus a history file.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ADAPTERS } from "./adapters.js";
import { runBench } from "./harness.js";
import { PROFILES } from "./profiles.js";
import { Progress } from "./progress.js";
import { replaceFigures } from "./report/readme-figures.js";
import { writeReports } from "./report/write.js";
import { SCENARIOS } from "./scenarios/index.js";
import { loadTargets } from "./targets.js";
import type { RunResult } from "./types.js";

const DEFAULT_OUT = fileURLToPath(new URL("../../reports", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));

const HELP = `statehouse benchmarks

Usage: node dist/cli.js [options]      (pnpm bench runs the quick profile)

Options:
  --profile NAME     quick (default; the README's main job, under 5 minutes on 2 cores)
                     or full (every sweep point, both durability modes everywhere)
  --adapters LIST    comma-separated adapters (default all: ${ADAPTERS.map((a) => a.name).join(", ")})
  --scenarios LIST   comma-separated scenarios (default all):
                     ${SCENARIOS.map((s) => s.name).join(", ")}
  --out DIR          where latest.{md,html,json} and history/ go (default: the repo's reports/)
  --time-ms N        tinybench time per task in ms (overrides the profile)
  --store-dir DIR    parent directory of the benchmark stores (default: the OS temp dir)
  --no-history       do not append this run to <out>/history/
  --quiet            no progress display
  --render           measure nothing: render <out>/latest.{md,html} (and, for the repo's reports/,
                     the README's figures) again from <out>/latest.json, after a change to the report
  -h, --help         this help

Exit status: 0 when every scenario ran and passed its correctness checks, 1 otherwise
(the reports are written either way), 2 on bad arguments.`;

/** The README's figures follow the committed report: rewritten only when a run goes there. */
function syncReadme(out: string, run: RunResult): void {
  if (out !== DEFAULT_OUT || !existsSync(README)) return;
  const before = readFileSync(README, "utf8");
  const after = replaceFigures(before, run);
  if (after !== before) writeFileSync(README, after);
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `pnpm run bench -- --profile full` passes the `--` through: skip it.
      args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")),
      options: {
        profile: { type: "string", default: "quick" },
        adapters: { type: "string" },
        scenarios: { type: "string" },
        out: { type: "string" },
        "time-ms": { type: "string" },
        "store-dir": { type: "string" },
        "no-history": { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        render: { type: "boolean", default: false },
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
  if (values.render === true) {
    const out = resolve((values.out as string | undefined) ?? DEFAULT_OUT);
    const run = JSON.parse(readFileSync(resolve(out, "latest.json"), "utf8")) as RunResult;
    const written = await writeReports(run, loadTargets(), out, { history: false });
    syncReadme(out, run);
    process.stdout.write(`rendered run ${run.id} again: ${written.markdown}, ${written.html}\n`);
    return 0;
  }
  const profile = PROFILES[values.profile as string];
  if (profile === undefined) {
    process.stderr.write(`unknown profile "${values.profile}"; known: ${Object.keys(PROFILES).join(", ")}\n`);
    return 2;
  }
  const timeMs = values["time-ms"] === undefined ? undefined : Number(values["time-ms"]);
  if (timeMs !== undefined && !(timeMs > 0)) {
    process.stderr.write("--time-ms needs a positive number\n");
    return 2;
  }
  const out = resolve((values.out as string | undefined) ?? DEFAULT_OUT);
  const started = performance.now();
  let run: Awaited<ReturnType<typeof runBench>>;
  try {
    run = await runBench({
      profile,
      adapters: list(values.adapters as string | undefined),
      scenarios: list(values.scenarios as string | undefined),
      timeMs,
      storeRoot: values["store-dir"] === undefined ? undefined : resolve(values["store-dir"] as string),
      progress: new Progress(values.quiet === true ? { tty: false, plainLines: false } : {}),
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "E_CONFIG") {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  const written = await writeReports(run, loadTargets(), out, { history: values["no-history"] !== true });
  syncReadme(out, run);
  const failed = run.results.filter((r) => r.status === "failed");
  const skipped = run.results.filter((r) => r.status === "skipped");
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  process.stdout.write(
    `${run.results.length} results in ${secs} s (profile ${run.profile}, ${run.api} API): ${failed.length} failed, ${skipped.length} skipped\n` +
      `reports: ${written.markdown}\n         ${written.html}\n         ${written.json}\n${written.history !== undefined ? `history: ${written.history}\n` : ""}`,
  );
  for (const r of failed) process.stdout.write(`FAILED ${r.key}: ${r.reason ?? ""}\n`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
