import type { Durability } from "@statehouse/core";
import type { AdapterProvision } from "./adapter-provision.js";
import { dropPostgresStore, postgresStoreUrl, provisionPostgres } from "./postgres.js";

/** Which floor each of an adapter's results is compared with (floor names, see `floors.ts`). */
export interface AdapterFloors {
  /** Floor of reads: the engine's own get (or a `Map` get where the engine is memory). */
  readonly read: string;
  /** Floor of writes per durability mode; `none` for an adapter without durability modes. */
  readonly write: Readonly<Partial<Record<Durability | "none", string>>>;
}

/**
 * An adapter as the harness sees it. A new adapter joins every scenario, sweep and report by
 * being added to {@link ADAPTERS}: nothing else in the harness names adapters.
 */
export interface AdapterDescriptor {
  readonly name: string;
  /** The store URL of a fresh store inside `dir`, an empty directory the harness made. */
  url(dir: string): string;
  /** Durability modes to benchmark, the default first; empty when the adapter has none. */
  readonly durabilities: readonly Durability[];
  readonly floors: AdapterFloors;
  /**
   * Increments per process of the quick profile's concurrency sweep, where the profile's own count
   * would overrun the child's time limit (the full profile always runs its own count, the goal's).
   */
  readonly quickIncrementsPerProc?: number;
  /** The store lives on a server, not in the job's directory: its disk usage is not measured. */
  readonly remote?: boolean;
  /**
   * Prepares what the adapter needs for a whole run, in the parent before any job (a server):
   * called only when the adapter is in the run. A `skip` reason skips every job of the adapter.
   */
  provision?(): Promise<AdapterProvision>;
  /** Removes what a job's store left outside `dir` (a database schema), after its child exits. */
  dispose?(dir: string): Promise<void>;
}

export type { AdapterProvision } from "./adapter-provision.js";

export const ADAPTERS: readonly AdapterDescriptor[] = [
  {
    name: "memory",
    url: () => "memory:",
    // Nothing in memory survives the process, so neither mode means anything: run it once.
    durabilities: [],
    floors: { read: "map-get", write: { none: "map-set" } },
  },
  {
    name: "file",
    url: (dir) => `file:${dir}/store`,
    durabilities: ["strict", "relaxed"],
    floors: { read: "map-get", write: { strict: "fs-write-fsync-rename", relaxed: "fs-write-rename" } },
    // 25 × 100 strict increments took 54 s of wall time (45.9 /s, load ~30) in the last quick run: 25 × 200
    // would take about 110 s, near the fleet's limit (0.8 × 180 s). The full profile judges the goal's
    // 25 × 200 on this adapter.
    quickIncrementsPerProc: 100,
  },
  {
    name: "sqlite",
    url: (dir) => `sqlite:${dir}/store.db`,
    durabilities: ["strict", "relaxed"],
    floors: { read: "sqlite-get", write: { strict: "sqlite-upsert-full", relaxed: "sqlite-upsert-normal" } },
  },
  {
    name: "lmdb",
    url: (dir) => `lmdb:${dir}/env`,
    durabilities: ["strict", "relaxed"],
    floors: { read: "lmdb-get", write: { strict: "lmdb-commit-flushed", relaxed: "lmdb-commit-nosync" } },
  },
  {
    name: "postgres",
    // One server for the run (STATEHOUSE_PG_URL, else a throwaway one), a schema per job.
    url: (dir) => postgresStoreUrl(dir),
    durabilities: ["strict", "relaxed"],
    floors: { read: "pg-select", write: { strict: "pg-commit-strict", relaxed: "pg-commit-relaxed" } },
    // 25 processes on one hot record queue on the counter lock over a socket. Before the two-round-trip
    // locked path 25 × 20 overran the child's 72 s for workers (about 5 increments/s); with it 25 × 40
    // took 28.7 s at load 21 (35 /s). 25 × 20 keeps the quick run well inside the limit on a loaded
    // machine; the full profile runs 25 × 200.
    quickIncrementsPerProc: 20,
    remote: true,
    provision: () => provisionPostgres(),
    dispose: (dir) => dropPostgresStore(dir),
  },
];

export function findAdapter(name: string): AdapterDescriptor | undefined {
  return ADAPTERS.find((a) => a.name === name);
}

/** The durability label of a run: the mode, or undefined for an adapter without modes. */
export function durabilityRuns(a: AdapterDescriptor): (Durability | undefined)[] {
  return a.durabilities.length === 0 ? [undefined] : [...a.durabilities];
}
