import { type AdapterOptions, ConfigError, type Durability } from "@statehouse/core";
import type pg from "pg";

/** Options of the PostgreSQL adapter (`postgres://…`, `postgresql://…`). */
export interface PostgresAdapterOptions extends AdapterOptions {
  /**
   * `strict` (default): each writing transaction commits with `synchronous_commit = on`, so a
   * resolved write is in the server's fsynced WAL and survives a server crash. `relaxed`:
   * `synchronous_commit = off` for the transaction; a server crash may lose the last few
   * hundred milliseconds of resolved writes (never a torn one).
   */
  durability?: Durability;
  /**
   * How long a transaction waits for another client's commit (the counter row's lock, PostgreSQL's
   * `lock_timeout`) before E_LOCK_TIMEOUT, and how long an operation keeps reconnecting to an
   * unreachable server before E_UNAVAILABLE. PostgreSQL queues lock waiters first come, first
   * served and applies `lock_timeout` to each wait for one holder, so a waiter behind writers
   * that get through is not refused however long the queue (test/hot-record.test.ts pins it).
   * Default 10,000 ms.
   */
  lockTimeoutMs?: number;
  /**
   * A pool to use instead of one the adapter makes from the URL. The adapter never ends it
   * (`close()` leaves it open) and does not change its session settings. It still applies
   * `statementTimeoutMs` and `idleInTransactionTimeoutMs` with `SET LOCAL` to the one kind of
   * transaction it holds open across round trips (the counter-locked commit taken after lost
   * races), where a stalled client would otherwise block every writer; its single statements
   * (reads, the one-statement commit) are bounded by the commit's own `lock_timeout`, and by
   * whatever `statement_timeout` the pool sets.
   */
  pool?: pg.Pool;
  /**
   * Lost optimistic races (a commit refused because a record it read had changed) before a writing
   * transaction takes the counter lock first: it then holds the lock across two round trips, during
   * which every other writer waits, but cannot lose again. 0 sends every writing transaction down
   * that path. While a process keeps meeting contention its next transactions start there too; see
   * the README ("Transactions"). Default 1.
   */
  lockAfterConflicts?: number;
  /** Connections of the adapter's own pool. Default 10. */
  poolSize?: number;
  /**
   * `statement_timeout`: set on every connection of the adapter's own pool, and with `SET LOCAL` in
   * the adapter's multi-statement transactions on any pool. Default 60,000 ms; 0 disables it.
   */
  statementTimeoutMs?: number;
  /**
   * `idle_in_transaction_session_timeout`: set on every connection of the adapter's own pool, and
   * with `SET LOCAL` in the adapter's multi-statement transactions on any pool (the only place a
   * connection of the adapter sits idle in a transaction). Default 60,000 ms; 0 disables it.
   */
  idleInTransactionTimeoutMs?: number;
  /** Idle connections of the adapter's own pool are closed after this long. Default 30,000 ms. */
  idleTimeoutMs?: number;
  /**
   * The PostgreSQL schema that holds the store's tables; one database can hold many stores.
   * Default: the URL's `schema` parameter, else `public`.
   */
  schema?: string;
  /** Change sets kept for `changes()`; older ones are deleted in batches. Default 10,000, at least 1. */
  changeRetention?: number;
  /**
   * Records this process remembers (value and the sequence that wrote it) so that a transaction
   * over them commits in one round trip; every one is validated at commit. Default 10,000; 0 disables it.
   */
  cacheEntries?: number;
  /**
   * Watchers (`store.watch`) are woken by PostgreSQL's NOTIFY, on a connection of their own (opened
   * at the first watch; with a supplied `pool`, one of its connections). This is how often that idle
   * connection is checked and the sequence read again, which catches a lost notification and a
   * reconnection. Default 2,000 ms, at least 10.
   */
  watchHeartbeatMs?: number;
}

export interface ResolvedPostgresOptions {
  readonly durability: Durability;
  readonly lockTimeoutMs: number;
  readonly lockAfterConflicts: number;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly changeRetention: number;
  readonly cacheEntries: number;
  readonly watchHeartbeatMs: number;
}

function integer(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`postgres adapter: ${name} must be an integer ≥ ${min}, got ${String(value)}`, { details: { [name]: value } });
  }
  return value;
}

export function resolveOptions(options: PostgresAdapterOptions): ResolvedPostgresOptions {
  const durability = options.durability ?? "strict";
  if (durability !== "strict" && durability !== "relaxed") {
    throw new ConfigError(`postgres adapter: durability must be "strict" or "relaxed", got ${JSON.stringify(durability)}`);
  }
  return {
    durability,
    lockTimeoutMs: integer("lockTimeoutMs", options.lockTimeoutMs, 10_000),
    lockAfterConflicts: integer("lockAfterConflicts", options.lockAfterConflicts, 1),
    poolSize: integer("poolSize", options.poolSize, 10, 1),
    statementTimeoutMs: integer("statementTimeoutMs", options.statementTimeoutMs, 60_000),
    idleInTransactionTimeoutMs: integer("idleInTransactionTimeoutMs", options.idleInTransactionTimeoutMs, 60_000),
    idleTimeoutMs: integer("idleTimeoutMs", options.idleTimeoutMs, 30_000),
    changeRetention: integer("changeRetention", options.changeRetention, 10_000, 1),
    cacheEntries: integer("cacheEntries", options.cacheEntries, 10_000),
    watchHeartbeatMs: integer("watchHeartbeatMs", options.watchHeartbeatMs, 2_000, 10),
  };
}
