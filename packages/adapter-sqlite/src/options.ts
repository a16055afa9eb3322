import { type AdapterOptions, ConfigError, type Durability } from "@statehouse/core";

/** Options of the SQLite adapter (`sqlite:FILE`). */
export interface SqliteAdapterOptions extends AdapterOptions {
  /**
   * `strict` (default): `PRAGMA synchronous=FULL`, the WAL is fsynced at every commit, so a
   * resolved write survives power loss. `relaxed`: `synchronous=NORMAL`, the WAL is fsynced only at
   * checkpoints, so a resolved write survives `kill -9` of any process but not power loss.
   */
  durability?: Durability;
  /**
   * How long a transaction waits for another process's write lock without any other process
   * committing meanwhile before failing with E_LOCK_TIMEOUT: the wait starts again each time
   * another connection commits, so a waiter behind writers that are getting through is not
   * refused. Default 10,000 ms.
   */
  lockTimeoutMs?: number;
  /** Change sets kept for `changes()`; older ones are trimmed. Default 10,000, at least 1. */
  changeRetention?: number;
  /**
   * Bytes of parsed, frozen values this process keeps to serve unchanged records without reading
   * or parsing them again (estimated from the JSON text length). Default 64 MiB; 0 disables it.
   */
  cacheBytes?: number;
  /**
   * Caps the database at this many pages (`PRAGMA max_page_count`, 4 KiB each): a write past it
   * fails with E_STORAGE_FULL and the store stays usable. Default: no cap beyond SQLite's own.
   */
  maxPageCount?: number;
}

export interface ResolvedSqliteOptions {
  readonly durability: Durability;
  readonly lockTimeoutMs: number;
  readonly changeRetention: number;
  readonly cacheBytes: number;
  readonly maxPageCount: number | undefined;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`sqlite adapter: ${name} must be an integer ≥ ${min}, got ${String(value)}`, { details: { [name]: value } });
  }
  return value;
}

export function resolveOptions(options: SqliteAdapterOptions): ResolvedSqliteOptions {
  const durability = options.durability ?? "strict";
  if (durability !== "strict" && durability !== "relaxed") {
    throw new ConfigError(`sqlite adapter: durability must be "strict" or "relaxed", got ${JSON.stringify(durability)}`);
  }
  return {
    durability,
    lockTimeoutMs: nonNegativeInteger("lockTimeoutMs", options.lockTimeoutMs, 10_000),
    changeRetention: nonNegativeInteger("changeRetention", options.changeRetention, 10_000, 1),
    cacheBytes: nonNegativeInteger("cacheBytes", options.cacheBytes, 64 * 1024 * 1024),
    maxPageCount: options.maxPageCount === undefined ? undefined : nonNegativeInteger("maxPageCount", options.maxPageCount, 0, 1),
  };
}
