import type { AdapterOptions } from "@statehouse/core";

/** Options of the file adapter (`file:DIR`). */
export interface FileAdapterOptions extends AdapterOptions {
  /**
   * `strict` (default): every commit is fsynced, and so is its directory, before the write
   * resolves; it survives power loss. `relaxed`: no fsync; a resolved write survives the crash
   * of any process (kill -9), not of the machine.
   */
  durability?: AdapterOptions["durability"];
  /**
   * How long a write waits for the store lock without the queue of waiting processes moving
   * before E_LOCK_TIMEOUT. Waiters are served first come, first served, and the wait starts
   * again each time one ahead is served: a long queue that moves never times out. Default 10,000 ms.
   */
  lockTimeoutMs?: number;
  /**
   * A lock holder that is alive but has not refreshed its lock for this long (stopped, hung) is
   * taken over, and its own write is then refused. A holder whose process is gone is taken over
   * at once. Default 5,000 ms; at least 2,000 (the lock is refreshed every second).
   */
  staleLockMs?: number;
  /**
   * After a write, this process keeps the lock this long for its next write, unless another
   * process is queued for it: a process writing in a loop then pays for the lock once (about
   * half the cost of a relaxed write). The lock directory stays on disk meanwhile, so a snapshot
   * of the store taken right after a write sees it. Default 0: released before the write resolves.
   */
  lockLeaseMs?: number;
  /** Commits are folded from wal/ into the packed data files once this many have accumulated. Default 32. */
  foldEvery?: number;
  /**
   * While folding keeps failing (a persistent EACCES or ENOSPC under data/, a segment whose two
   * copies are both corrupt), commits pile up in wal/. Past this many unfolded commits a write is
   * refused with the fold's own typed error instead of growing the log without bound. Default
   * 8,192; at least 2 × foldEvery.
   */
  maxUnfolded?: number;
  /** Change sets kept for `changes()`. Default 10,000. */
  changeRetention?: number;
  /**
   * Records a process keeps parsed in memory from collections it has not listed; past this, those
   * are dropped and read again when needed. Default 200,000.
   */
  cacheRecords?: number;
}

export interface ResolvedFileOptions {
  readonly durable: boolean;
  readonly lockTimeoutMs: number;
  readonly staleLockMs: number;
  readonly foldEvery: number;
  readonly maxUnfolded: number;
  readonly changeRetention: number;
  readonly lockLeaseMs: number;
  readonly cacheRecords: number;
}

export function resolveFileOptions(options: FileAdapterOptions): ResolvedFileOptions {
  return {
    durable: (options.durability ?? "strict") === "strict",
    lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
    staleLockMs: Math.max(options.staleLockMs ?? 5_000, 2_000),
    foldEvery: Math.max(1, options.foldEvery ?? 32),
    maxUnfolded: Math.max(2 * Math.max(1, options.foldEvery ?? 32), options.maxUnfolded ?? 8_192),
    changeRetention: Math.max(1, options.changeRetention ?? 10_000),
    lockLeaseMs: Math.max(0, options.lockLeaseMs ?? 0),
    cacheRecords: Math.max(1, options.cacheRecords ?? 200_000),
  };
}
