import { ConfigError } from "@statehouse/core";
import { ADAPTERS, type AdapterDescriptor, durabilityRuns } from "./adapters.js";
import { type Job, type ScenarioSettings, paramsLabel } from "./scenario.js";
import { SCENARIOS } from "./scenarios/index.js";

/** A run's sizes. `quick` is the README's main job (under 5 minutes on 2 cores); `full` runs every sweep point. */
export interface Profile {
  readonly name: string;
  readonly settings: ScenarioSettings;
  readonly docSizes: readonly number[];
  readonly sessionCounts: readonly number[];
  readonly procs: readonly number[];
  readonly incrementsPerProc: number;
  /** Run the sweeps in every durability mode (else only the adapter's default). */
  readonly sweepAllDurabilities: boolean;
}

const KB = 1024;
const MB = 1024 * 1024;

export const PROFILES: Readonly<Record<string, Profile>> = {
  quick: {
    name: "quick",
    // 180 s per job: sqlite and lmdb at 25 processes × 200 overran 72 s (0.8 × the former 90 s) while other
    // engineers' benchmarks shared the disk (load 14–27); 23 s and 10 s are typical.
    settings: { timeMs: 300, processRuns: 10, listingSessions: 1000, childTimeoutMs: 180_000 },
    docSizes: [KB, 100 * KB, MB],
    sessionCounts: [100, 10_000],
    procs: [1, 5, 25],
    // The goal's 25 × 200, judged on every run (sqlite took 11.7 s and lmdb 4.9 s for 25 × 100 at load
    // ~30); an adapter whose lock is too slow for the child's time limit says so (quickIncrementsPerProc).
    incrementsPerProc: 200,
    sweepAllDurabilities: false,
  },
  full: {
    name: "full",
    settings: { timeMs: 1000, processRuns: 30, listingSessions: 1000, childTimeoutMs: 900_000 },
    docSizes: [KB, 10 * KB, 100 * KB, MB, 10 * MB],
    sessionCounts: [10, 100, 1000, 10_000, 100_000],
    procs: [1, 5, 10, 25, 50],
    incrementsPerProc: 200,
    sweepAllDurabilities: true,
  },
};

export interface PlanOptions {
  adapters?: string[] | undefined;
  scenarios?: string[] | undefined;
  /** Overrides the profile's tinybench time per task (ms), e.g. for a smoke run. */
  timeMs?: number | undefined;
}

function sweep(profile: Profile, scenario: string, adapter?: AdapterDescriptor): Record<string, number>[] {
  switch (scenario) {
    case "doc-size":
      return profile.docSizes.map((bytes) => ({ bytes }));
    case "session-count":
      return profile.sessionCounts.map((sessions) => ({ sessions }));
    case "concurrency": {
      const per = (profile.name === "quick" ? adapter?.quickIncrementsPerProc : undefined) ?? profile.incrementsPerProc;
      return profile.procs.map((procs) => ({ procs, incrementsPerProc: per }));
    }
    case "daemon-concurrency":
    case "concurrent-http-floor":
      // Full: the issue's 25 and 50 processes × 200. Quick (CI's smoke on every change): 50 × 20,
      // still 50 processes at once through one daemon; a strict write each flushes, which took
      // 74 increments/s on a loaded 2-core machine, so 50 × 200 could overrun the child's 90 s.
      // With group commit (the daemon's, on memory, sqlite and lmdb) 50 × 200 still took 69 s
      // (sqlite) and 100 s (lmdb) of wall time at load 33-40 (postgres: see its README), and file
      // has no transactGroup: the quick profile keeps 50 × 20.
      return profile.name === "full"
        ? [25, 50].map((procs) => ({ procs, incrementsPerProc: 200 }))
        : [{ procs: 50, incrementsPerProc: 20 }];
    case "concurrent-commit-floor":
      // One floor per process count of the concurrency sweep (whatever its increments per process),
      // with an fsync per increment for the strict rows and without for the relaxed ones.
      return profile.procs.flatMap((procs) => (profile.sweepAllDurabilities ? [1, 0] : [1]).map((fsync) => ({ procs, fsync })));
    case "retention":
      // The issue's figure (100,000 sessions with retention at 10,000) in full; quick keeps the ratio at 3,000 and 600 (under 20 s per adapter on a loaded 2-core machine).
      return profile.name === "full" ? [{ sessions: 100_000, live: 10_000 }] : [{ sessions: 3_000, live: 600 }];
    default:
      return [{}];
  }
}

/** The jobs of a run, in order: floors first, then every scenario on every selected adapter. */
export function planJobs(profile: Profile, options: PlanOptions = {}): Job[] {
  const known = new Set(SCENARIOS.map((s) => s.name));
  for (const s of options.scenarios ?? [])
    if (!known.has(s)) throw new ConfigError(`unknown scenario "${s}"; known: ${[...known].join(", ")}`);
  const adapterNames = new Set(ADAPTERS.map((a) => a.name));
  for (const a of options.adapters ?? [])
    if (!adapterNames.has(a)) throw new ConfigError(`unknown adapter "${a}"; known: ${[...adapterNames].join(", ")}`);
  const settings = options.timeMs === undefined ? profile.settings : { ...profile.settings, timeMs: options.timeMs };
  const named = options.scenarios === undefined ? undefined : new Set(options.scenarios);
  // A named scenario brings the floors its ratios need, so `--scenarios mcp` still has its ratios.
  for (const s of SCENARIOS) if (named?.has(s.name) === true) for (const f of s.floors ?? []) named.add(f);
  const wanted = (name: string) => named === undefined || named.has(name);
  const adapters: AdapterDescriptor[] = ADAPTERS.filter((a) => options.adapters === undefined || options.adapters.includes(a.name));
  const jobs: Job[] = [];
  for (const scenario of SCENARIOS) {
    if (!wanted(scenario.name)) continue;
    if (!scenario.perAdapter) {
      // Floors at every size a ratio needs: the base 1 KB, the 1 MB filter, each swept size.
      // Other floors follow the sweep of the scenario they are the floor of (e.g. processes × requests).
      const points =
        scenario.name === "floors"
          ? [...new Set([KB, MB, ...profile.docSizes])].sort((a, b) => a - b).map((bytes) => ({ bytes }))
          : sweep(profile, scenario.name);
      for (const params of points) jobs.push({ scenario: scenario.name, params, settings });
      continue;
    }
    const isSweep = sweep(profile, scenario.name).length > 1 || scenario.group !== "operation";
    for (const adapter of adapters) {
      const all = durabilityRuns(adapter);
      const modes = scenario.writes && (!isSweep || profile.sweepAllDurabilities) ? all : all.slice(0, 1);
      for (const params of sweep(profile, scenario.name, adapter)) {
        for (const durability of modes) jobs.push({ scenario: scenario.name, adapter: adapter.name, durability, params, settings });
      }
    }
  }
  return jobs;
}

/** The progress label of a job: `sqlite/strict · session-count · sessions=10000`. */
export function jobLabel(job: Job): string {
  const who = job.adapter === undefined ? "floor" : `${job.adapter}${job.durability === undefined ? "" : `/${job.durability}`}`;
  const p = paramsLabel(job.params);
  return [who, job.scenario, ...(p === "" ? [] : [p])].join(" · ");
}
