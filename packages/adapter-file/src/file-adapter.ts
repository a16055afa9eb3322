import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  type AdapterCapabilities,
  ClosedError,
  type ChangeSet,
  type ImportChangesOptions,
  type CommitWrite,
  type CountOptions,
  type Durability,
  type IntegrityReport,
  IoError,
  type ListOptions,
  type ListPage,
  LockTimeoutError,
  NotFoundError,
  StatehouseError,
  type StorageAdapter,
  type TransactResult,
  type TxContext,
  type ValueLimits,
  isValidCollection,
  resolveLimits,
  validateListOptions,
} from "@statehouse/core";
import { checkImportSequence, checkImportedChanges, pathExists, resolvePageSize, runTransaction } from "@statehouse/core/spi";
import { fsyncDir, publishNew, unlinkQuietly, writeTemp } from "./atomic-file.js";
import { readChanges } from "./change-log.js";
import { dropFoldedCommits, fold, importChangeLog, trimHistoryThrough } from "./fold.js";
import { checkStore } from "./integrity.js";
import { Layout } from "./layout.js";
import { countRecords, listPage } from "./listing.js";
import { mapEngineError } from "./map-engine-error.js";
import { initStore } from "./open-store.js";
import { type FileAdapterOptions, type ResolvedFileOptions, resolveFileOptions } from "./options.js";
import { type Commit, encodeCommit } from "./records.js";
import { StoreLock } from "./store-lock.js";
import { StoreView } from "./store-view.js";
import { sweepTemporaryFiles } from "./sweep.js";

const knownCollections = new Set<string>();

function validCollection(name: string): boolean {
  if (knownCollections.has(name)) return true;
  if (!isValidCollection(name)) return false;
  if (knownCollections.size < 1000) knownCollections.add(name);
  return true;
}

// A failed fold is retried after 250 ms, then 500 ms, ... up to a minute.
const FOLD_BACKOFF_MS = 250;
const FOLD_BACKOFF_MAX_MS = 60_000;

/** What `FileAdapter.foldHealth()` reports. */
export interface FoldHealth {
  /** Fold attempts by this adapter instance since it was opened. */
  readonly attempts: number;
  /** Of those, how many failed. */
  readonly failures: number;
  /** Commits in wal/ not yet folded into data/. */
  readonly unfolded: number;
  /** Set while folding fails: the last error, how many attempts in a row failed, since when. */
  readonly fault?: { readonly error: StatehouseError; readonly consecutive: number; readonly since: string };
}

function lockLost(why: string): LockTimeoutError {
  return new LockTimeoutError(`the store lock was lost (${why}); the write was not applied`, { details: { reason: "lock-lost" } });
}

/**
 * The file adapter: plain JSON files under one directory, shared by any number of processes.
 * See the package README for the layout, the lock protocol and what each durability survives.
 */
export class FileAdapter implements StorageAdapter {
  readonly kind = "file";
  readonly capabilities: AdapterCapabilities;
  readonly durability: Durability;
  readonly layout: Layout;
  private readonly options: ResolvedFileOptions;
  private readonly limits: ValueLimits;
  private readonly view: StoreView;
  private readonly lock: StoreLock;
  private closed = false;
  private swept = false;
  /** Whether a transaction has been rehearsed outside the lock in this instance (see rehearse). */
  private rehearsed = false;
  private foldAttempts = 0;
  private foldFailures = 0;
  private foldFault: { error: StatehouseError; consecutive: number; since: string; retryAt: number } | undefined;
  private warned = false;
  // Transactions of one adapter run one at a time: callers may interleave awaits.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(location: string, options: FileAdapterOptions) {
    this.options = resolveFileOptions(options);
    this.durability = this.options.durable ? "strict" : "relaxed";
    this.limits = resolveLimits(options.limits);
    this.layout = new Layout(resolve(location));
    this.view = new StoreView(this.layout, this.options.durable, this.options.cacheRecords);
    this.lock = new StoreLock(this.layout, {
      timeoutMs: this.options.lockTimeoutMs,
      staleMs: this.options.staleLockMs,
      leaseMs: this.options.lockLeaseMs,
    });
    this.capabilities = Object.freeze({
      persistent: true,
      multiProcess: true,
      durability: ["strict", "relaxed"] as const,
      filesystem: true,
      corruptionRecovery: true,
      compaction: true,
      changeRetention: this.options.changeRetention,
    });
  }

  static async open(location: string, options: FileAdapterOptions = {}): Promise<FileAdapter> {
    const adapter = new FileAdapter(location, options);
    // A store has its marker or its commit log (a lost marker is rewritten on open).
    if (
      options.create === false &&
      !pathExists(adapter.layout.storeFile, "looking for the store") &&
      !pathExists(adapter.layout.walDir, "looking for the store")
    ) {
      throw new NotFoundError(`no file store at ${adapter.layout.root} (opened without create; a write creates it)`, {
        details: { store: adapter.layout.root, hint: "check the store location (--store, STATEHOUSE_STORE), or write to it first" },
      });
    }
    initStore(adapter.layout, adapter.options.durable);
    sweepTemporaryFiles(adapter.layout);
    adapter.view.reload();
    return adapter;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("the store is closed");
  }

  async get(collection: string, id: string) {
    this.assertOpen();
    if (!validCollection(collection)) return undefined;
    this.view.refresh();
    return this.view.get(collection, id);
  }

  async list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    this.assertOpen();
    validateListOptions(options);
    const limit = resolvePageSize(options.limit);
    if (!validCollection(collection)) return { records: [] };
    this.view.refresh();
    return listPage(this.view, collection, options, limit);
  }

  async count(collection: string, options: CountOptions = {}): Promise<number> {
    this.assertOpen();
    validateListOptions(options);
    if (!validCollection(collection)) return 0;
    this.view.refresh();
    return countRecords(this.view, collection, options);
  }

  async transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    this.assertOpen();
    const run = this.queue.then(async () => {
      this.rehearse(fn);
      const outcome = await this.withLock(() => this.transactLocked(fn));
      // The commit's directory entry is made durable after the lock is released: the next writer
      // need not wait for this fsync, and this write still resolves only once it is done.
      if (outcome.sequence !== undefined && this.options.durable) {
        try {
          fsyncDir(this.layout.walDir);
        } catch (err) {
          // The commit is published: every reader sees it and later writes build on it. Saying
          // "failed" would invite a retry that applies it twice; say what is true instead.
          const why = mapEngineError(err, `syncing the directory of commit ${outcome.sequence}`).message;
          throw new IoError(
            `the write was applied as commit ${outcome.sequence} (do not retry it), but ${why}: it may not survive a power loss`,
            { cause: err, details: { committed: true, sequence: outcome.sequence } },
          );
        }
      }
      return outcome;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withLock<R>(body: () => R): Promise<R> {
    this.assertOpen();
    // One turn of the event loop per write: a caller writing in a tight loop would otherwise run
    // on microtasks alone, and its timers and signal handlers (Ctrl-C) would never get a turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.assertOpen();
    await this.lock.acquire();
    let ok = false;
    try {
      if (!this.swept) {
        this.swept = true;
        sweepTemporaryFiles(this.layout);
      }
      const result = body();
      ok = true;
      return result;
    } finally {
      // A failed write lets go at once: the store must look exactly as before it.
      await this.lock.release(ok);
    }
  }

  /**
   * Runs the first transaction of this instance once before taking the lock, against the view as
   * it is, and throws its outcome away. A fresh process (every CLI command, every hook) runs the
   * domain's write path for the first time cold: loading and compiling its code and reading its
   * records took 0.2-0.7 s of wall time per command with 20 processes on 2 cores, all of it inside
   * the store lock, so 50 concurrent CLI writers timed out waiting (E_LOCK_TIMEOUT). Rehearsed,
   * the run under the lock is warm and its records are cached (refresh reads only newer commits).
   * The SPI lets a transaction function run more than once; it has no effects outside `tx`.
   */
  private rehearse<T>(fn: (tx: TxContext) => T): void {
    if (this.rehearsed) return;
    this.rehearsed = true;
    try {
      this.view.refresh();
      runTransaction(fn, (c, id) => this.view.get(c, id), this.limits);
    } catch {
      // Whatever it met (a conflict, a record changing under it) is met again, under the lock.
    }
  }

  private transactLocked<T>(fn: (tx: TxContext) => T): TransactResult<T> {
    this.view.refresh();
    const { result, writes } = runTransaction(fn, (c, id) => this.view.get(c, id), this.limits);
    if (writes.length === 0) return { result, sequence: undefined };
    if (this.foldFault !== undefined && this.view.head - this.view.folded >= this.options.maxUnfolded) {
      this.view.refreshFolded();
      // The log is full: one more fold attempt (when the back-off allows), else refuse the write
      // with the fold's own typed error rather than let wal/ grow without bound.
      if (this.view.head - this.view.folded >= this.options.maxUnfolded && !this.tryFold()) {
        const fault = this.foldFault!;
        const unfolded = this.view.head - this.view.folded;
        throw new StatehouseError(
          fault.error.code,
          `the write was not applied: ${unfolded} commits wait to be folded and folding fails (${fault.error.message}); fix the cause, then retry (statehouse doctor reports it)`,
          { cause: fault.error, details: { ...fault.error.details, reason: "fold-failing", unfolded } },
        );
      }
    }
    const sequence = this.commit(writes);
    if (this.view.head - this.view.folded >= this.options.foldEvery) this.view.refreshFolded();
    if (this.view.head - this.view.folded >= this.options.foldEvery) this.tryFold();
    return { result, sequence };
  }

  /**
   * Folds unless a recent failure says to wait. A failure does not fail the write (its commit is
   * durable already, and reads never depend on a fold); it is counted, warned about once, reported
   * by check(), and retried after a back-off that doubles up to a minute, so a persistent fault
   * does not make every write re-fold the whole log.
   */
  private tryFold(): boolean {
    const fault = this.foldFault;
    if (fault !== undefined && Date.now() < fault.retryAt) return false;
    this.foldAttempts++;
    try {
      fold(this.view, this.layout, this.foldOptions());
    } catch (err) {
      // An unfinished fold leaves only extra files that the next fold replaces.
      this.view.forgetVersions();
      this.recordFoldFailure(err);
      return false;
    }
    this.foldFault = undefined;
    return true;
  }

  private recordFoldFailure(err: unknown): void {
    const error = mapEngineError(err, "folding commits into the data files");
    this.foldFailures++;
    const consecutive = (this.foldFault?.consecutive ?? 0) + 1;
    const delay = Math.min(FOLD_BACKOFF_MAX_MS, FOLD_BACKOFF_MS * 2 ** Math.min(consecutive - 1, 16));
    this.foldFault = { error, consecutive, since: this.foldFault?.since ?? new Date().toISOString(), retryAt: Date.now() + delay };
    if (consecutive === 1 && !this.warned) {
      this.warned = true;
      process.emitWarning(
        `statehouse: folding commits into ${this.layout.dataDir} fails (${error.message}); writes continue in the write-ahead log, retried with back-off; see check()`,
        { code: "STATEHOUSE_FOLD_FAILING", detail: `error code ${error.code}` },
      );
    }
  }

  /**
   * How folding fares in this process: attempts and failures since open (counters a daemon can
   * export), and the current fault, if the last attempt failed.
   */
  foldHealth(): FoldHealth {
    const f = this.foldFault;
    return {
      attempts: this.foldAttempts,
      failures: this.foldFailures,
      unfolded: this.view.head - this.view.folded,
      ...(f !== undefined && { fault: { error: f.error, consecutive: f.consecutive, since: f.since } }),
    };
  }

  private foldOptions() {
    return {
      durable: this.options.durable,
      changeRetention: this.options.changeRetention,
      assertHeld: () => this.lock.assertHeld(),
      keepAlive: () => this.lock.keepAlive(),
    };
  }

  /**
   * Publishes the transaction as commit head+1. link(2) never replaces, so the sequence number
   * itself fences the write: if a rival took the lock over while this process was stalled and
   * committed that number first, this write is refused rather than applied over it.
   */
  private commit(writes: CommitWrite[]): number {
    const seq = this.view.head + 1;
    const at = new Date().toISOString();
    const buf = encodeCommit(seq, at, writes);
    const target = this.layout.walFile(seq);
    let tmp: string;
    try {
      tmp = writeTemp(target, buf, this.options.durable);
    } catch (err) {
      throw mapEngineError(err, `writing commit ${seq}`);
    }
    try {
      this.lock.assertHeld();
    } catch (err) {
      unlinkQuietly(tmp);
      throw err;
    }
    let published: boolean;
    try {
      published = publishNew(tmp, target);
    } catch (err) {
      throw mapEngineError(err, `publishing commit ${seq}`);
    }
    if (!published) throw lockLost(`commit ${seq} was written by another process`);
    // A fold that ran while this process was stalled would have removed commit seq-1: then this
    // file sits below the fold point, where no reader looks. Withdraw it.
    if (!existsSync(this.layout.walFile(seq - 1))) {
      unlinkQuietly(target);
      throw lockLost(`the store moved past commit ${seq - 1}`);
    }
    const commit: Commit = {
      seq,
      at,
      writes: writes.map((w) =>
        w.type === "put"
          ? { op: "put" as const, collection: w.collection, id: w.id, rev: w.revision, index: w.index, value: w.value }
          : { op: "delete" as const, collection: w.collection, id: w.id, rev: w.revision, index: {} },
      ),
    };
    this.view.apply(commit);
    this.view.remember(commit, buf.length);
    this.view.head = seq;
    return seq;
  }

  async changes(since: number, limit = 1000): Promise<ChangeSet[]> {
    this.assertOpen();
    return readChanges(this.view, this.layout, since, limit);
  }

  async sequence(): Promise<number> {
    this.assertOpen();
    this.view.refresh();
    return this.view.head;
  }

  async compact(): Promise<void> {
    this.assertOpen();
    const run = this.queue.then(() =>
      this.withLock(() => {
        this.view.refresh();
        this.foldAttempts++;
        try {
          fold(this.view, this.layout, this.foldOptions());
          dropFoldedCommits(this.view, this.layout);
        } catch (err) {
          this.view.forgetVersions();
          this.recordFoldFailure(err);
          throw mapEngineError(err, "compacting the store");
        }
        this.foldFault = undefined;
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Retention: removes the folded change sets up to `through` (whole history files; the latest
   * change set is never folded away from wal/ before a newer commit exists, so it stays).
   */
  async trimChanges(through: number): Promise<number> {
    this.assertOpen();
    const run = this.queue.then(() =>
      this.withLock(() => {
        this.view.refresh();
        this.view.refreshFolded();
        const upTo = Math.min(Math.floor(through), this.view.head - 1, this.view.folded);
        if (!(upTo >= 1)) return 0;
        try {
          return trimHistoryThrough(this.layout, upTo);
        } catch (err) {
          throw mapEngineError(err, "trimming the change log");
        }
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** See `StorageAdapter.importChanges` and fold.ts's `importChangeLog`. */
  async importChanges(changeSets: readonly ChangeSet[], options: ImportChangesOptions): Promise<void> {
    this.assertOpen();
    checkImportedChanges(changeSets);
    const run = this.queue.then(() =>
      this.withLock(() => {
        this.view.refresh();
        checkImportSequence(this.view.head, options.ifSequence, changeSets);
        try {
          importChangeLog(this.view, this.layout, changeSets.slice(-this.options.changeRetention), this.foldOptions());
        } catch (err) {
          this.view.forgetVersions();
          throw err instanceof StatehouseError ? err : mapEngineError(err, "importing the change log");
        } finally {
          this.view.reload();
        }
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  async check(options: { repair?: boolean } = {}): Promise<IntegrityReport> {
    this.assertOpen();
    // Under the lock even without repair: a fold running meanwhile removes the versions this
    // check has just listed, which it would then report as missing.
    const repair = options.repair === true;
    const run = this.queue.then(async () =>
      this.withLock(() => {
        const report = checkStore(this.layout, this.view, { repair, durable: this.options.durable });
        if (repair) this.view.reload();
        return this.withFoldProblems(report);
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Adds what is known of failing folds: this process's own fault, and a log past its bound. */
  private withFoldProblems(report: IntegrityReport): IntegrityReport {
    this.view.refresh();
    this.view.refreshFolded();
    const problems = [...report.problems];
    const unfolded = this.view.head - this.view.folded;
    const fault = this.foldFault;
    if (fault !== undefined) {
      problems.push(
        `${this.layout.dataDir}: folding fails since ${fault.since} (${fault.consecutive} attempts in a row; ${fault.error.code}: ${fault.error.message}); ${unfolded} commits wait in ${this.layout.walDir}`,
      );
    } else if (unfolded >= this.options.maxUnfolded) {
      problems.push(
        `${this.layout.walDir}: ${unfolded} commits are not folded into data/ (bound ${this.options.maxUnfolded}): folding fails in the writers`,
      );
    }
    return { ok: problems.length === 0, problems, repaired: report.repaired };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.lock.dispose();
  }
}

export async function openAdapter(location: string, options?: FileAdapterOptions): Promise<StorageAdapter> {
  return FileAdapter.open(location, options);
}
