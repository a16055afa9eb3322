import { type AdapterOptions, ConfigError } from "@statehouse/core";

/** Options of the LMDB adapter. */
export interface LmdbAdapterOptions extends AdapterOptions {
  /**
   * lmdb-js's `overlappingSync`: commit, release the write lock, then flush (before the write
   * resolves, in both durability modes). Default `false`: the commit flushes inside the lock
   * (`strict`) or not at all (`relaxed`).
   *
   * Every process that has the environment open at once must use the same setting: opening it
   * with the other one while another process has it open fails with E_CONFIG (LMDB itself does
   * not notice mixed flags across processes); a process alone may change it.
   */
  overlappingSync?: boolean;
  /** Parsed records kept in memory per adapter, validated against each read. Default 10,000. */
  cacheSize?: number;
  /** Change sets kept for `changes()`. Default 10,000. */
  changeRetention?: number;
  /** LMDB reader slots, fixed by the first process that opens the environment. Default 126. */
  maxReaders?: number;
  /**
   * Verify the structure of data.mdb page by page (in JS, which cannot crash) when the adapter
   * opens, so that a corrupt file gives E_CORRUPT instead of LMDB aborting the process on a
   * later read. Costs a read of the whole file. Default `false`; `check()` always does it.
   */
  verifyOnOpen?: boolean;
}

export interface ResolvedLmdbOptions {
  readonly durability: "strict" | "relaxed";
  readonly overlappingSync: boolean;
  readonly cacheSize: number;
  readonly changeRetention: number;
  readonly maxReaders: number;
  readonly verifyOnOpen: boolean;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`lmdb option ${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

export function resolveOptions(options: LmdbAdapterOptions): ResolvedLmdbOptions {
  if (options.durability !== undefined && options.durability !== "strict" && options.durability !== "relaxed") {
    throw new ConfigError(`durability must be "strict" or "relaxed", got ${JSON.stringify(options.durability)}`);
  }
  return {
    durability: options.durability ?? "strict",
    overlappingSync: options.overlappingSync ?? false,
    cacheSize: positiveInt("cacheSize", options.cacheSize, 10_000, 0),
    changeRetention: positiveInt("changeRetention", options.changeRetention, 10_000),
    maxReaders: positiveInt("maxReaders", options.maxReaders, 126),
    verifyOnOpen: options.verifyOnOpen ?? false,
  };
}
