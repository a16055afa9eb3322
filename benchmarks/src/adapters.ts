import type { Durability } from "@statehouse/core";

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
}

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
    floors: { read: "lmdb-get", write: { strict: "lmdb-put-flushed", relaxed: "lmdb-put" } },
  },
];

export function findAdapter(name: string): AdapterDescriptor | undefined {
  return ADAPTERS.find((a) => a.name === name);
}

/** The durability label of a run: the mode, or undefined for an adapter without modes. */
export function durabilityRuns(a: AdapterDescriptor): (Durability | undefined)[] {
  return a.durabilities.length === 0 ? [undefined] : [...a.durabilities];
}
