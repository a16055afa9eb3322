import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findAdapter } from "./adapters.js";
import { captureEnvironment } from "./env.js";
import { hasDomainApi } from "./open-store.js";
import { type PlanOptions, type Profile, jobLabel, planJobs } from "./profiles.js";
import { Progress } from "./progress.js";
import { runJob } from "./runner.js";
import { type Job, failedResult } from "./scenario.js";
import { findScenario } from "./scenarios/index.js";
import type { BenchResult, RunResult } from "./types.js";

/** Options of {@link runBench}. */
export interface RunBenchOptions extends PlanOptions {
  profile: Profile;
  /** Parent of each child's fresh store directory. Default: the OS temp directory. */
  storeRoot?: string;
  /** Default: a progress display on stderr (one updating line on a terminal). */
  progress?: Progress;
}

const REPO_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** Median ÷ floor median for each result whose floor ran in the same run. */
export function fillRatios(results: BenchResult[]): void {
  const byKey = new Map(results.map((r) => [r.key, r]));
  for (const r of results) {
    if (r.floor === undefined || r.stats === undefined) continue;
    const f = byKey.get(r.floor);
    if (f?.status === "ok" && f.stats !== undefined && f.stats.median > 0) r.ratio = r.stats.median / f.stats.median;
  }
}

function summary(results: BenchResult[]): string {
  const n = (s: string) => results.filter((r) => r.status === s).length;
  const parts = [`${n("ok")} ok`];
  if (n("failed") > 0) parts.push(`${n("failed")} failed`);
  if (n("skipped") > 0) parts.push(`${n("skipped")} skipped`);
  return parts.join(", ");
}

/**
 * Provisions each adapter of the run that needs it (a server), before any job runs. An adapter that
 * cannot be provisioned has its jobs skipped with the reason, so the rest of the run goes on.
 */
async function provisionAdapters(jobs: readonly Job[]): Promise<{ skips: Map<string, string>; release: () => Promise<void> }> {
  const skips = new Map<string, string>();
  const releases: (() => Promise<void>)[] = [];
  for (const name of new Set(jobs.map((j) => j.adapter).filter((a) => a !== undefined))) {
    const provision = findAdapter(name)?.provision;
    if (provision === undefined) continue;
    const p = await provision();
    if (p.skip !== undefined) skips.set(name, p.skip);
    else releases.push(() => p.release());
  }
  return {
    skips,
    release: async () => {
      for (const r of releases) await r().catch(() => undefined);
    },
  };
}

function skippedJob(job: Job, reason: string): BenchResult[] {
  const scenario = findScenario(job.scenario);
  return (scenario?.ops(job.params) ?? [job.scenario]).map((op) => failedResult(job, op, reason, "skipped"));
}

/** Runs every planned job, each in its own child process, and returns the run's results. */
export async function runBench(options: RunBenchOptions): Promise<RunResult> {
  const startedAt = new Date();
  const storeRoot = options.storeRoot ?? join(tmpdir(), "statehouse-bench");
  const jobs = planJobs(options.profile, options);
  const progress = options.progress ?? new Progress();
  const results: BenchResult[] = [];
  const provisions = await provisionAdapters(jobs);
  try {
    for (const [i, job] of jobs.entries()) {
      const label = jobLabel(job);
      progress.start(i + 1, jobs.length, label);
      const skip = job.adapter === undefined ? undefined : provisions.skips.get(job.adapter);
      const rs = skip === undefined ? await runJob(job, { storeRoot }) : skippedJob(job, skip);
      results.push(...rs);
      progress.done(i + 1, jobs.length, label, summary(rs));
    }
  } finally {
    await provisions.release();
  }
  progress.finish();
  fillRatios(results);
  const env = captureEnvironment(REPO_DIR, storeRoot);
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
  return {
    schema: 1,
    id: `${stamp}-${env.commit}`,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    profile: options.profile.name,
    filters: { adapters: options.adapters, scenarios: options.scenarios },
    api: hasDomainApi() ? "domain" : "spi",
    env,
    results,
  };
}
