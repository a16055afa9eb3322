import type { Durability } from "@statehouse/core";

/** Summary statistics of one measured operation; times in milliseconds. */
export interface Stats {
  readonly median: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Operations per second, from the mean latency (for concurrency: the aggregate over all processes). */
  readonly throughput: number;
  /** Relative margin of error of the mean, in percent (95 % confidence). */
  readonly rme: number;
  /** How many samples the statistics were computed from. */
  readonly count: number;
  /**
   * Median CPU time of one call, in ms: the process's user + system time (every thread) across each
   * call of tinybench's measured phase, read around the call outside its timing. In-process rows
   * only. Unlike wall time, other processes' load moves it less (a call descheduled halfway
   * accrues nothing meanwhile), and the median leaves out the calls that met a GC or a background
   * compile: the regression gate compares it where both trees record it. Time spent waiting (an
   * fsync, a lock) is not in it.
   */
  readonly cpu?: number;
}

export type ResultStatus = "ok" | "failed" | "skipped";

/** One row of a run: one operation of one scenario on one adapter (or a floor). */
export interface BenchResult {
  /** Unique within a run and stable across runs: the gate matches results by it. */
  readonly key: string;
  /** The scenario (child process) that produced it. */
  readonly scenario: string;
  /** The measured operation, e.g. `session-list`, `floor:fs-write-fsync-rename`. */
  readonly op: string;
  /** Adapter name, or `floor` for a physical floor, or `process` for `node -e 0`. */
  readonly adapter: string;
  readonly durability?: Durability | undefined;
  /** Sweep parameters: `bytes`, `sessions`, `procs`, `incrementsPerProc`. */
  readonly params: Readonly<Record<string, number>>;
  readonly status: ResultStatus;
  /** Why it failed (the error) or was skipped. */
  readonly reason?: string | undefined;
  readonly stats?: Stats | undefined;
  /** Retained latency samples (ms), possibly thinned out to a bounded count. */
  readonly samples?: number[] | undefined;
  /** The key of the floor this result is compared to, if any. */
  readonly floor?: string | undefined;
  /** Median of this result ÷ median of its floor, filled in once the run is complete. */
  ratio?: number | undefined;
  /** Peak resident set size of the scenario's child process (bytes). */
  readonly maxRssBytes?: number | undefined;
  /** Disk usage of the store (st_blocks × 512), when the scenario measured it. */
  readonly diskBytes?: number | undefined;
  readonly diskBytesPerSession?: number | undefined;
  /** A correctness check: a run whose check fails is a failed run, not a slow one. */
  readonly check?: { readonly expected: number; readonly actual: number; readonly ok: boolean } | undefined;
  /** Free-form notes shown in the report (e.g. which API measured it). */
  readonly note?: string | undefined;
}

export interface Environment {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
  readonly commit: string;
  readonly dirty: boolean;
  /** Where the stores lived (the file system matters for fsync). */
  readonly storeDir: string;
}

export interface RunResult {
  readonly schema: 1;
  /** `<ISO time>-<commit>`, also the history file's name. */
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly profile: string;
  readonly filters: { readonly adapters?: string[] | undefined; readonly scenarios?: string[] | undefined };
  /** Which API the scenarios measured: the domain API (`open`) or the adapter SPI. */
  readonly api: "domain" | "spi";
  readonly env: Environment;
  readonly results: BenchResult[];
}
