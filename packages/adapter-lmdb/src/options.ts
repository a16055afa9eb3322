import { type AdapterOptions, ConfigError } from "@statehouse/core";

/** Options of the LMDB adapter. */
export interface LmdbAdapterOptions extends AdapterOptions {
  /**
   * lmdb-js's `overlappingSync`: commit, release the write lock, then flush. Default `false`.
   *
   * It is a property of the environment: it is recorded when the store is created, and opening
   * it with the other setting fails with E_CONFIG (LMDB itself does not notice mixed flags
   * across processes). With `false`, `strict` flushes inside the commit and `relaxed` does not
   * flush at all; with `true`, both modes flush after the lock is released and before the
   * write resolves (so `relaxed` is as durable as `strict`, and no faster).
   */
  overlappingSync?: boolean;
  /** Parsed records kept in memory per adapter, validated against each read. Default 10,000. */
  cacheSize?: number;
  /** Change sets kept for `changes()`. Default 10,000. */
  changeRetention?: number;
  /** LMDB reader slots, fixed by the first process that opens the environment. Default 126. */
  maxReaders?: number;
  /**
   * In `relaxed` durability (without overlappingSync) nothing is flushed at commit; a
   * background flush follows within this many milliseconds, which bounds how much a power loss
   * can take. Default 1,000. 0 disables it.
   */
  relaxedFlushMs?: number;
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
  readonly relaxedFlushMs: number;
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
    relaxedFlushMs: positiveInt("relaxedFlushMs", options.relaxedFlushMs, 1000, 0),
    verifyOnOpen: options.verifyOnOpen ?? false,
  };
}
