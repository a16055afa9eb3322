import { join } from "node:path";
import type { RootDatabase, RootDatabaseOptionsWithPath } from "lmdb";
import { ABORT } from "./lmdb-engine.js";
import { mapEngineError } from "./map-engine-error.js";
import { openRetrying } from "./open-retrying.js";

/** The mutex's LMDB environment, next to data.mdb: `mutex.mdb` and `mutex.mdb-lock`. */
export const MUTEX_FILE = "mutex.mdb";

/** lmdb-js transactionSync flags of the (always aborted) mutex transaction: nothing to flush. */
const TXN_FLAGS = 3;

/** Depth of `run` per store directory in this process: lmdb-js shares one native environment per path. */
const held = new Map<string, number>();

/**
 * A lock shared by every process that opens the store: the write lock of a second, always empty
 * LMDB environment. That lock is a robust process-shared mutex, so a process killed while holding
 * it releases it; taking it costs about half a microsecond.
 *
 * Why the store needs it: when a process opens an LMDB environment, lmdb-js's LMDB
 * (`mdb_env_open2`, lmdb-js 2.9 to 3.5.6 at least) sets the shared "last committed transaction"
 * of lock.mdb to the meta page it read at the start of opening, even while other processes have
 * the environment open. A commit made in between is then forgotten: the next writer takes the
 * same transaction id, builds on the previous snapshot and overwrites the commit's meta page.
 * `scripts/reproduce-open-rollback.mjs` shows it with plain lmdb-js. Opening data.mdb and writing
 * to it both happen under this mutex, so an open never overlaps a commit. Reads do not take it.
 */
export class ProcessMutex {
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly root: RootDatabase,
  ) {}

  /**
   * Opens (creating if needed) the mutex of the store in `dir`, an existing directory; an open
   * that meets another process's open is tried again ({@link openRetrying}).
   */
  static open(dir: string): ProcessMutex {
    const file = join(dir, MUTEX_FILE);
    try {
      const root = openRetrying({
        path: file,
        noSubdir: true,
        maxDbs: 1,
        overlappingSync: false,
        permissionsMode: 0o600,
      } as RootDatabaseOptionsWithPath);
      return new ProcessMutex(dir, root);
    } catch (err) {
      throw mapEngineError(err, `opening ${file}`, file);
    }
  }

  /** Runs `fn` holding the lock; re-entrant within this process. */
  run<T>(fn: () => T): T {
    const depth = held.get(this.dir) ?? 0;
    if (depth > 0) return fn();
    let result: { value: T } | undefined;
    let failure: { error: unknown } | undefined;
    try {
      this.root.transactionSync(() => {
        held.set(this.dir, 1);
        try {
          result = { value: fn() };
        } catch (error) {
          failure = { error };
        } finally {
          held.delete(this.dir);
        }
        return ABORT;
      }, TXN_FLAGS as never);
    } catch (err) {
      if (failure === undefined && result === undefined) {
        throw mapEngineError(err, "taking the store's process lock", join(this.dir, MUTEX_FILE));
      }
    }
    if (failure !== undefined) throw failure.error;
    return (result as { value: T }).value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close().catch(() => undefined);
  }
}
