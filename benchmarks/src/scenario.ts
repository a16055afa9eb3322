import type { Durability } from "@statehouse/core";
import { type AdapterDescriptor, findAdapter } from "./adapters.js";
import type { Measurement } from "./measure.js";
import type { BenchResult } from "./types.js";

/** The measuring settings of a profile that every scenario reads. */
export interface ScenarioSettings {
  /** tinybench time budget per task (ms). */
  readonly timeMs: number;
  /** Whole-process runs per CLI command and for `node -e 0`. */
  readonly processRuns: number;
  /** Sessions present for the listing and dashboard operations. */
  readonly listingSessions: number;
  /** Longest a child may run before it is killed and its scenario recorded as failed (ms). */
  readonly childTimeoutMs: number;
}

/** One child process's work: a scenario on one adapter (or none, for floors) with parameters. */
export interface Job {
  readonly scenario: string;
  readonly adapter?: string | undefined;
  readonly durability?: Durability | undefined;
  readonly params: Readonly<Record<string, number>>;
  readonly settings: ScenarioSettings;
  /**
   * Only these of the scenario's operations, where it can skip the others (the CLI rows): the gate
   * times one or two commands, not all of them. Absent: every operation.
   */
  readonly only?: readonly string[] | undefined;
}

export interface ScenarioContext {
  readonly job: Job;
  /** A fresh empty directory (0700) for this child's stores, removed afterwards. */
  readonly dir: string;
  readonly adapter: AdapterDescriptor | undefined;
  /** The adapter's store URL inside `dir`. */
  readonly url: string;
}

export type ScenarioGroup = "floor" | "operation" | "doc-size" | "session-count" | "concurrency" | "cli";

export interface Scenario {
  readonly name: string;
  readonly group: ScenarioGroup;
  readonly title: string;
  /** Runs on an adapter (else once, e.g. floors). */
  readonly perAdapter: boolean;
  /** Writes, so it runs once per durability mode (else only in the adapter's default mode). */
  readonly writes: boolean;
  /** Floor scenarios its ratios need: planned with it when a run names its scenarios (they run first, as every floor). */
  readonly floors?: readonly string[];
  /** The operations (result rows) it produces, so a crashed child still yields one failed row each. */
  ops(params: Readonly<Record<string, number>>): string[];
  run(ctx: ScenarioContext): Promise<BenchResult[]>;
}

export function paramsLabel(params: Readonly<Record<string, number>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The stable identity of a result: what the gate matches across runs. */
export function resultKey(
  adapter: string,
  durability: Durability | undefined,
  op: string,
  params: Readonly<Record<string, number>>,
): string {
  return [adapter, durability ?? "-", op, paramsLabel(params)].join("·");
}

export function floorKey(floor: string, bytes: number): string {
  return resultKey("floor", undefined, `floor:${floor}`, { bytes });
}

export const PROCESS_FLOOR_KEY = resultKey("process", undefined, "node-e-0", {});

export function adapterOf(job: Job): AdapterDescriptor | undefined {
  return job.adapter === undefined ? undefined : findAdapter(job.adapter);
}

/** The floor of an adapter's read or write at a size. */
export function floorFor(job: Job, kind: "read" | "write", bytes = 1024): string | undefined {
  const a = adapterOf(job);
  if (a === undefined) return undefined;
  const name = kind === "read" ? a.floors.read : a.floors.write[job.durability ?? "none"];
  return name === undefined ? undefined : floorKey(name, bytes);
}

export interface ResultExtra {
  floor?: string | undefined;
  params?: Record<string, number>;
  diskBytes?: number;
  diskBytesPerSession?: number;
  check?: BenchResult["check"];
  note?: string;
  adapter?: string;
}

export function okResult(job: Job, op: string, m: Measurement, extra: ResultExtra = {}): BenchResult {
  const params = extra.params ?? job.params;
  const adapter = extra.adapter ?? job.adapter ?? "floor";
  const ok = extra.check === undefined || extra.check.ok;
  return {
    key: resultKey(adapter, job.durability, op, params),
    scenario: job.scenario,
    op,
    adapter,
    durability: job.durability,
    params,
    status: ok ? "ok" : "failed",
    reason: ok ? undefined : `correctness check failed: expected ${extra.check?.expected}, got ${extra.check?.actual}`,
    stats: m.stats,
    samples: m.samples,
    floor: extra.floor,
    diskBytes: extra.diskBytes,
    diskBytesPerSession: extra.diskBytesPerSession,
    check: extra.check,
    note: extra.note,
  };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${typeof code === "string" ? `${code}: ` : ""}${err.message}`.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

export function failedResult(
  job: Job,
  op: string,
  err: unknown,
  status: "failed" | "skipped" = "failed",
  params = job.params,
): BenchResult {
  const adapter = job.adapter ?? "floor";
  return {
    key: resultKey(adapter, job.durability, op, params),
    scenario: job.scenario,
    op,
    adapter,
    durability: job.durability,
    params,
    status,
    reason: typeof err === "string" ? err : errorText(err),
  };
}
