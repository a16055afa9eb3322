import { resolve } from "node:path";
import {
  type AdapterCapabilities,
  type ChangeSet,
  type ImportChangesOptions,
  ClosedError,
  CorruptError,
  LockTimeoutError,
  NotFoundError,
  type CommitWrite,
  type CountOptions,
  type Durability,
  type IndexKeys,
  type IntegrityReport,
  type ListOptions,
  type ListPage,
  type GroupOutcome,
  type StorageAdapter,
  type StoredRecord,
  type TransactGroupOptions,
  type TransactResult,
  type TxContext,
  type ValueLimits,
  resolveLimits,
  validateListOptions,
} from "@statehouse/core";
import {
  checkImportSequence,
  checkImportedChanges,
  encodeKey,
  groupOutcomes,
  pathExists,
  resolvePageSize,
  runTransaction,
  runTransactionGroup,
  WaitQueue,
} from "@statehouse/core/spi";
import Database from "better-sqlite3";
import { appendChangeSet, readChanges, readSequence, replaceChangeLog } from "./change-log.js";
import { recordCrc } from "./checksum.js";
import { decodeRecord } from "./decode.js";
import { checkStore } from "./integrity.js";
import { countRecords, listPage } from "./listing.js";
import { mapEngineError } from "./map-engine-error.js";
import { openDatabase } from "./open-database.js";
import { type ResolvedSqliteOptions, type SqliteAdapterOptions, resolveOptions } from "./options.js";
import { RecordCache } from "./record-cache.js";
import { type RecordRow, type Statements, prepareStatements } from "./statements.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A queued writer at the head whose ticket shows no sign of life for this long (a stopped
 * process) no longer holds the others back. A live head refreshes its ticket a quarter of this
 * apart while it waits.
 */
const QUEUE_STALE_MS = 2_000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    err instanceof Database.SqliteError && typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
  );
}

function isSystemError(err: unknown): boolean {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === "string" &&
    typeof (err as NodeJS.ErrnoException).syscall === "string"
  );
}

interface TxOutcome<T> {
  result: T;
  sequence: number | undefined;
  writes: CommitWrite[];
  /** Per write, the record's row id and `idx` column after it. */
  rows: { rid: number; idx: string | null }[];
  /** Per write, the sequence that wrote it (in a group, its last writing member's). */
  seqs?: number[];
  dataVersion: number;
}

/** A group commit's body outcome: the members' outcomes, and what `remember` needs. */
interface GroupTxOutcome<T> extends TxOutcome<undefined> {
  outcomes: GroupOutcome<T>[];
}

/**
 * The SQLite adapter: one better-sqlite3 connection per process in WAL mode. Every transaction
 * begins IMMEDIATE, taking SQLite's write lock before its first read, so a read-then-write can
 * never be invalidated by another process (a deferred one would fail with SQLITE_BUSY_SNAPSHOT,
 * which no busy timeout retries).
 */
export class SqliteAdapter implements StorageAdapter {
  readonly kind = "sqlite";
  readonly capabilities: AdapterCapabilities;
  readonly durability: Durability;
  /** The absolute path of the database file. */
  readonly file: string;
  private readonly options: ResolvedSqliteOptions;
  private readonly limits: ValueLimits;
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly cache: RecordCache;
  private readonly txn: Database.Transaction<(fn: (tx: TxContext) => unknown) => TxOutcome<unknown>>;
  private readonly trimTxn: Database.Transaction<(through: number) => number>;
  private readonly importTxn: Database.Transaction<(sets: readonly ChangeSet[], ifSequence: number) => void>;
  private readonly groupTxn: Database.Transaction<
    (fns: readonly ((tx: TxContext) => unknown)[], options: TransactGroupOptions | undefined) => GroupTxOutcome<unknown>
  >;
  private closed = false;
  /** This connection's last commit, to skip reading the sequence when nobody else committed since. */
  private lastCommit: { seq: number; dataVersion: number } | undefined;
  /** Writers of every process waiting for SQLite's write lock, first come first served (`<db file>-waiters/`). */
  private readonly queue: WaitQueue;
  /** Whether writers were queued when this connection last released the lock: it then queues too. */
  private queued = false;

  constructor(location: string, options: SqliteAdapterOptions = {}) {
    this.options = resolveOptions(options);
    this.durability = this.options.durability;
    this.limits = resolveLimits(options.limits);
    this.capabilities = Object.freeze({
      persistent: true,
      multiProcess: true,
      durability: ["strict", "relaxed"] as const,
      filesystem: true,
      corruptionRecovery: false,
      compaction: true,
      changeRetention: this.options.changeRetention,
    });
    if (options.create === false && !location.includes("\u0000") && !pathExists(resolve(location), "looking for the store")) {
      throw new NotFoundError(`no sqlite store at ${resolve(location)} (opened without create; a write creates it)`, {
        details: { store: resolve(location), hint: "check the store location (--store, STATEHOUSE_STORE), or write to it first" },
      });
    }
    const { db, file } = openDatabase(location, this.options);
    this.db = db;
    this.file = file;
    this.queue = new WaitQueue({ dir: `${file}-waiters`, staleMs: QUEUE_STALE_MS });
    try {
      this.statements = prepareStatements(db);
    } catch (err) {
      db.close();
      throw mapEngineError(err, file, "preparing statements");
    }
    this.cache = new RecordCache(this.options.cacheBytes);
    this.txn = db.transaction((fn: (tx: TxContext) => unknown) => this.runInLock(fn));
    this.trimTxn = db.transaction((through: number) => this.statements.trimChangesThrough.run(through).changes);
    this.importTxn = db.transaction((sets: readonly ChangeSet[], ifSequence: number) => {
      checkImportSequence(readSequence(this.statements), ifSequence, sets);
      replaceChangeLog(this.statements, sets.slice(-this.options.changeRetention));
      // data_version does not move for this connection's own writes: the remembered sequence would be stale.
      this.lastCommit = undefined;
    });
    this.groupTxn = db.transaction((fns: readonly ((tx: TxContext) => unknown)[], options: TransactGroupOptions | undefined) =>
      this.runGroupInLock(fns, options),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("the store is closed");
  }

  /**
   * Runs an engine call, mapping what it throws to typed errors. While another process holds a
   * lock the call is retried until `lockTimeoutMs` has passed. SQLite's own busy handler is off
   * (busy_timeout 0 once open): it backs off to 100 ms sleeps, so under contention a waiter
   * oversleeps the lock's release, and it blocks the event loop meanwhile. Here the waits are
   * asynchronous, short (1–2 ms) and jittered.
   */
  private engine<T>(what: string, call: () => T): T | Promise<T> {
    try {
      return call();
    } catch (err) {
      if (!isBusy(err) || this.options.lockTimeoutMs === 0) throw this.typed(err, what);
      return this.retryBusy(what, call);
    }
  }

  /**
   * Runs a write transaction (`call` begins IMMEDIATE). A lone writer tries the lock at once and
   * pays no file operation for the queue but one readdir after its release (`wakeHead`). On
   * SQLITE_BUSY, or when writers were queued at this connection's last release, it joins the
   * fair queue: SQLite's lock is no queue, and retries alone are a free-for-all in which an
   * unlucky process loses for seconds.
   */
  private write<T>(what: string, call: () => T): T | Promise<T> {
    const queued = this.options.lockTimeoutMs > 0 && this.queued;
    if (!queued) {
      try {
        const out = call();
        this.queued = this.queue.wakeHead();
        return out;
      } catch (err) {
        if (!isBusy(err) || this.options.lockTimeoutMs === 0) {
          // The lock was taken and released (the transaction failed or rolled back), or never queued for.
          if (!isBusy(err)) this.queued = this.queue.wakeHead();
          throw this.typed(err, what);
        }
      }
    }
    return this.retryBusy(what, call, this.queue);
  }

  /**
   * Retries `call` while the lock is busy; with a `queue`, only when this process is at its head
   * (or the head is stale), sleeping until woken otherwise. The wait starts again each time
   * another connection commits meanwhile (`data_version` moves) or this waiter moves up the
   * queue: a waiter behind writers that are getting through is not refused, however many there
   * are (50 CLI processes writing at once); one behind a lock that nobody gets through times out
   * after `lockTimeoutMs`.
   */
  private async retryBusy<T>(what: string, call: () => T, queue?: WaitQueue): Promise<T> {
    let deadline = Date.now() + this.options.lockTimeoutMs;
    const started = Date.now();
    let seen = this.progressMark(queue);
    let busy: unknown;
    // Whether this call took (and so released) the lock: then the next in line is woken.
    let released = false;
    try {
      for (;;) {
        if (queue === undefined) await sleep(1 + Math.random());
        this.assertOpen();
        let turn = true;
        if (queue !== undefined) {
          queue.join();
          turn = queue.mayAttempt();
        }
        if (turn) {
          try {
            const out = call();
            released = true;
            return out;
          } catch (err) {
            if (!isBusy(err)) {
              released = true;
              throw this.typed(err, what);
            }
            busy = err;
          }
        }
        if (Date.now() >= deadline) {
          const now = this.progressMark(queue);
          if (now === undefined || now === seen) {
            if (busy !== undefined) throw this.typed(busy, what);
            throw new LockTimeoutError(
              `timed out after ${this.options.lockTimeoutMs} ms waiting in the write queue of ${this.file} without it moving (${queue?.rank ?? 0} waiting ahead, ${Date.now() - started} ms in all)`,
              {
                details: {
                  file: this.file,
                  timeoutMs: this.options.lockTimeoutMs,
                  ahead: queue?.rank ?? 0,
                  waitedMs: Date.now() - started,
                },
              },
            );
          }
          seen = now;
          deadline = Date.now() + this.options.lockTimeoutMs;
        }
        if (queue !== undefined) {
          // Every releaser wakes the head, so the timers (jittered) only cover a missed wake-up or
          // a holder that died: polling often, with many waiters on a few cores, costs the CPU
          // the holder needs to get through.
          await queue.wait(turn ? 5 + Math.random() * 5 : 30 + Math.random() * 30);
        }
      }
    } finally {
      if (queue !== undefined) {
        queue.leave();
        if (released) this.queued = queue.wakeHead();
      }
    }
  }

  /** What a waiter watches for progress: its place in the queue and `data_version`; undefined when unreadable. */
  private progressMark(queue: WaitQueue | undefined): string | undefined {
    const version = this.quietDataVersion();
    return version === undefined ? undefined : `${queue?.rank ?? 0}:${version}`;
  }

  /** `data_version`, or undefined when even that cannot be read now (then no progress is seen). */
  private quietDataVersion(): number | undefined {
    try {
      return this.dataVersion();
    } catch {
      return undefined;
    }
  }

  /** Engine errors become typed ones; what the caller's transaction function threw passes through. */
  private typed(err: unknown, what: string): unknown {
    return err instanceof Database.SqliteError || isSystemError(err) ? mapEngineError(err, this.file, what) : err;
  }

  private dataVersion(): number {
    return this.statements.dataVersion.get() as number;
  }

  /**
   * The committed record, from the cache when nothing can have changed it: unchanged
   * `data_version` means no other connection committed; otherwise its `seq` is compared.
   */
  private read(collection: string, id: string, dataVersion: number): StoredRecord | undefined {
    const key = RecordCache.key(collection, id);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      if (cached.dataVersion === dataVersion) return cached.record;
      const seq = (this.statements.getSeq.get(collection, id) as number | undefined) ?? 0;
      if (seq === cached.seq) {
        cached.dataVersion = dataVersion;
        return cached.record;
      }
    }
    const row = this.statements.getRecord.get(collection, id) as RecordRow | undefined;
    if (row === undefined) {
      this.cache.set(key, { seq: 0, dataVersion, record: undefined, index: {}, rid: 0, idx: null }, 0);
      return undefined;
    }
    const decoded = decodeRecord(row, collection, id, this.file);
    this.cache.set(
      key,
      { seq: row.seq, dataVersion, record: decoded.record, index: decoded.index, rid: row.rid, idx: row.idx },
      row.value.length,
    );
    return decoded.record;
  }

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.assertOpen();
    return this.engine("reading a record", () => this.read(collection, id, this.dataVersion()));
  }

  async list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    this.assertOpen();
    validateListOptions(options);
    const limit = resolvePageSize(options.limit);
    return this.engine("listing records", () =>
      listPage(
        { statements: this.statements, cache: this.cache, file: this.file, dataVersion: this.dataVersion() },
        collection,
        options,
        limit,
      ),
    );
  }

  async count(collection: string, options: CountOptions = {}): Promise<number> {
    this.assertOpen();
    validateListOptions(options);
    return this.engine("counting records", () => countRecords(this.statements, collection, options));
  }

  /** Whether a transaction has been rehearsed outside the write lock in this instance (see rehearse). */
  private rehearsed = false;

  /**
   * Runs the first transaction of this instance once before BEGIN IMMEDIATE, on what is
   * committed now, and throws its outcome away. A fresh process (every CLI command, every hook)
   * runs the domain's write path for the first time cold, loading and compiling its code and
   * reading its records; inside the write lock, with many processes on 2 cores, that made the
   * lock's turns long enough for waiters to time out. Rehearsed, the run under the lock is warm
   * and finds its records cached. The SPI lets a transaction function run more than once.
   */
  private rehearse(fn: (tx: TxContext) => unknown): void {
    if (this.rehearsed) return;
    this.rehearsed = true;
    try {
      const dataVersion = this.dataVersion();
      runTransaction(fn, (c, id) => this.read(c, id, dataVersion), this.limits);
    } catch {
      // Whatever it met (a busy read, a conflict) is met again under the lock.
    }
  }

  async transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    this.assertOpen();
    this.rehearse(fn);
    const out = (await this.write("running a transaction", () => {
      const committed = this.txn.immediate(fn);
      // At once, not after the await: other transactions of this process may run before this
      // one's continuation does, and they must find the cache and lastCommit current.
      if (committed.sequence !== undefined) this.remember(committed, committed.sequence);
      return committed;
    })) as TxOutcome<T>;
    return { result: out.result, sequence: out.sequence };
  }

  /** The body of a transaction, run by better-sqlite3 between BEGIN IMMEDIATE and COMMIT. */
  private runInLock(fn: (tx: TxContext) => unknown): TxOutcome<unknown> {
    const dataVersion = this.dataVersion();
    const { result, writes } = runTransaction(fn, (c, id) => this.read(c, id, dataVersion), this.limits);
    if (writes.length === 0) return { result, sequence: undefined, writes, rows: [], dataVersion };
    // Unchanged data_version since this connection's last commit: nobody else committed, so the
    // last sequence is still the one this process took.
    const last = this.lastCommit?.dataVersion === dataVersion ? this.lastCommit.seq : readSequence(this.statements);
    const seq = last + 1;
    const spare: number[] = [];
    const rows = writes.map((w) => this.apply(w, seq, dataVersion, spare));
    this.dropSpare(spare);
    appendChangeSet(this.statements, writes, seq, this.options.changeRetention);
    return { result, sequence: seq, writes, rows, dataVersion };
  }

  /**
   * Group commit: the members run one after another in one BEGIN IMMEDIATE…COMMIT (one fsync in
   * strict durability), each its own logical transaction (see `StorageAdapter.transactGroup`).
   * Each record's row is written once, in its final state; each writing member gets its own
   * change-log row. The cache learns the final state only after COMMIT: if the commit throws,
   * nothing of the group's reaches it (what `read` cached meanwhile is committed data).
   */
  async transactGroup<T>(fns: readonly ((tx: TxContext) => T)[], options?: TransactGroupOptions): Promise<GroupOutcome<T>[]> {
    this.assertOpen();
    const out = (await this.write("running a group of transactions", () => {
      const committed = this.groupTxn.immediate(fns, options);
      if (committed.sequence !== undefined) this.remember(committed, committed.sequence);
      return committed;
    })) as GroupTxOutcome<T>;
    return out.outcomes;
  }

  /** The body of a group commit; `sequence` is the last member's, undefined when none wrote. */
  private runGroupInLock(fns: readonly ((tx: TxContext) => unknown)[], options: TransactGroupOptions | undefined): GroupTxOutcome<unknown> {
    const dataVersion = this.dataVersion();
    const group = runTransactionGroup(fns, (c, id) => this.read(c, id, dataVersion), this.limits, options);
    if (group.members.length === 0) {
      return { result: undefined, sequence: undefined, writes: [], rows: [], dataVersion, outcomes: groupOutcomes(group, 0) };
    }
    const last =
      this.lastCommit?.dataVersion === dataVersion ? this.lastCommit.seq : ((this.statements.lastSeq.get() as number | undefined) ?? 0);
    const first = last + 1;
    const seqs = group.lastWriter.map((m) => first + m);
    const spare: number[] = [];
    const rows = group.writes.map((w, i) => this.apply(w, seqs[i]!, dataVersion, spare));
    this.dropSpare(spare);
    group.members.forEach((writes, m) => {
      appendChangeSet(this.statements, writes, first + m, this.options.changeRetention);
    });
    const sequence = first + group.members.length - 1;
    return { result: undefined, sequence, writes: group.writes, rows, seqs, dataVersion, outcomes: groupOutcomes(group, first) };
  }

  /** The record's row as it stands: from the cache when validated in this transaction, else read. */
  private currentRow(collection: string, id: string, dataVersion: number): { rid: number; idx: string | null } | undefined {
    const cached = this.cache.peek(RecordCache.key(collection, id));
    if (cached !== undefined && cached.dataVersion === dataVersion) return cached.record === undefined ? undefined : cached;
    return this.statements.oldRecord.get(collection, id) as { rid: number; idx: string | null } | undefined;
  }

  /**
   * Applies one write; returns the record's row id and `idx` column after it (0 when deleted).
   * A deleted record's row is not deleted at once but left in `spare` (its index entries go now),
   * and a record this commit creates takes over a spare row rather than inserting one: a document
   * write with history deletes the oldest kept entry and creates the newest, and one row rewritten
   * in place dirties one page where a delete and an insert dirtied two, besides the file's size
   * in its header (5.4 → 4 WAL pages per write, measured). The row's id is internal: index
   * entries name it and are written here; caches revalidate by `seq`. The caller deletes the
   * rows left in `spare` (`dropSpare`) before the commit ends.
   */
  private apply(w: CommitWrite, seq: number, dataVersion: number, spare: number[]): { rid: number; idx: string | null } {
    const old = this.currentRow(w.collection, w.id, dataVersion);
    const oldIndex = old?.idx ? this.parseIndex(old.idx, w.collection, w.id) : {};
    if (w.type === "delete") {
      if (old === undefined) return { rid: 0, idx: null };
      this.replaceEntries(w.collection, w.id, old.rid, oldIndex, {});
      spare.push(old.rid);
      return { rid: 0, idx: null };
    }
    const idx = Object.keys(w.index).length === 0 ? null : JSON.stringify(w.index);
    const crc = recordCrc(w.collection, w.id, seq, w.revision, idx, w.json);
    let rid: number;
    if (old === undefined && spare.length > 0) {
      rid = spare.pop()!;
      this.statements.reuseRecord.run(w.collection, w.id, seq, w.revision, crc, idx, w.json, rid);
    } else if (old === undefined) {
      rid = Number(this.statements.insertRecord.run(w.collection, w.id, seq, w.revision, crc, idx, w.json).lastInsertRowid);
    } else {
      rid = old.rid;
      this.statements.updateRecord.run(seq, w.revision, crc, idx, w.json, rid);
    }
    if (idx !== (old?.idx ?? null)) this.replaceEntries(w.collection, w.id, rid, oldIndex, w.index);
    return { rid, idx };
  }

  /** Deletes the rows of deleted records that no created record took over (see `apply`). */
  private dropSpare(spare: readonly number[]): void {
    for (const rid of spare) this.statements.deleteRecord.run(rid);
  }

  private parseIndex(idx: string, collection: string, id: string): IndexKeys {
    try {
      const parsed: unknown = JSON.parse(idx);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as IndexKeys;
    } catch {
      // reported below
    }
    throw new CorruptError(`corrupt store ${this.file}: record ${collection}/${id} has unreadable index keys`, {
      details: { file: this.file },
    });
  }

  /** Index entries follow the record: the previous ones go, the new ones come. */
  private replaceEntries(collection: string, id: string, rid: number, before: IndexKeys, after: IndexKeys): void {
    for (const [name, key] of Object.entries(before)) {
      if (after[name] !== key) this.statements.deleteEntry.run(collection, encodeKey(name), encodeKey(key), id);
    }
    for (const [name, key] of Object.entries(after)) {
      if (before[name] !== key) this.statements.insertEntry.run(collection, encodeKey(name), encodeKey(key), id, rid);
    }
  }

  /** After a commit, the cache holds what this process just wrote. */
  private remember(out: TxOutcome<unknown>, seq: number): void {
    const { writes, rows, seqs, dataVersion } = out;
    this.lastCommit = { seq, dataVersion };
    writes.forEach((w, i) => {
      const key = RecordCache.key(w.collection, w.id);
      const row = rows[i]!;
      if (w.type === "put") {
        const record: StoredRecord = Object.freeze({ collection: w.collection, id: w.id, revision: w.revision, value: w.value });
        // The record's `seq` column is the sequence that last wrote it: the cache revalidates by it.
        const written = seqs === undefined ? seq : seqs[i]!;
        this.cache.set(
          key,
          { seq: written, dataVersion, record, index: Object.freeze({ ...w.index }), rid: row.rid, idx: row.idx },
          w.json.length,
        );
      } else {
        this.cache.set(key, { seq: 0, dataVersion, record: undefined, index: {}, rid: 0, idx: null }, 0);
      }
    });
  }

  async changes(since: number, limit = 1000): Promise<ChangeSet[]> {
    this.assertOpen();
    return this.engine("reading changes", () => readChanges(this.statements, since, limit, this.file));
  }

  async sequence(): Promise<number> {
    this.assertOpen();
    return this.engine("reading the sequence", () => readSequence(this.statements));
  }

  /** Retention: removes the change sets up to `through` (never the latest) in one short write transaction. */
  async trimChanges(through: number): Promise<number> {
    this.assertOpen();
    if (!Number.isFinite(through)) return 0;
    return this.engine("trimming the change log", () => this.trimTxn.immediate(Math.floor(through)));
  }

  /** See `StorageAdapter.importChanges`: the log replaced in one write transaction. */
  async importChanges(changeSets: readonly ChangeSet[], options: ImportChangesOptions): Promise<void> {
    this.assertOpen();
    checkImportedChanges(changeSets);
    await this.engine("importing the change log", () => this.importTxn.immediate(changeSets, options.ifSequence));
  }

  /** `PRAGMA quick_check` and `integrity_check`, then every checksum and index entry; see README. */
  async check(options: { repair?: boolean } = {}): Promise<IntegrityReport> {
    this.assertOpen();
    const report = await this.engine("checking the store", () => checkStore(this.db, this.file, options.repair === true));
    if (report.repaired.length > 0) this.cache.clear();
    return report;
  }

  /** VACUUM, then a truncating checkpoint so the WAL gives its space back too. */
  async compact(): Promise<void> {
    this.assertOpen();
    await this.engine("compacting the store", () => {
      this.db.exec("VACUUM");
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.queue.dispose();
    await this.engine("closing the store", () => this.db.close());
  }
}

export async function openAdapter(location: string, options?: SqliteAdapterOptions): Promise<StorageAdapter> {
  return new SqliteAdapter(location, options);
}
