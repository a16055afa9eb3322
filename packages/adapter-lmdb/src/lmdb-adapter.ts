import { join, resolve as resolvePath } from "node:path";
import {
  type AdapterCapabilities,
  type ChangeSet,
  type ImportChangesOptions,
  ClosedError,
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
  ValidationError,
  type ValueLimits,
  isValidCollection,
  isValidId,
  resolveLimits,
  validateListOptions,
} from "@statehouse/core";
import {
  type GroupRun,
  checkImportSequence,
  checkImportedChanges,
  groupOutcomes,
  pathExists,
  runTransaction,
  runTransactionGroup,
} from "@statehouse/core/spi";
import { ABORT } from "./lmdb-engine.js";
import { appendChangeSet, readChanges, readSequence, replaceLog, trimLog } from "./change-log.js";
import { clearStaleCompaction, compactEnvironment, compactingPid } from "./compact.js";
import { type Environment, closeEnvironment, openEnvironment, writeTransaction } from "./environment.js";
import { checkStore } from "./integrity.js";
import { MDB, fullDiskError, lmdbCode, mapEngineError, needsReopen } from "./map-engine-error.js";
import { LOG_SEQUENCE, MAX_KEY_BYTES, indexKey, recordKey } from "./keys.js";
import { type RecordReader, countRange, listRange, readPage } from "./listing.js";
import { type LmdbAdapterOptions, type ResolvedLmdbOptions, resolveOptions } from "./options.js";
import { RecordCache } from "./record-cache.js";
import { decodeRecord, encodeRecord, indexOfRecord, stampOf } from "./record-codec.js";
import { registerOpen, unregisterOpen } from "./registry.js";

/** lmdb-js transactionSync flags: commit before returning; NO_SYNC_FLUSH (MDB_NOSYNC) skips the flush inside the commit. */
const TXN_SYNC_COMMIT = 2;
const TXN_NO_SYNC_FLUSH = 0x10000;

/**
 * The commit's flags. `strict`: the commit flushes data.mdb (fdatasync) and writes the meta page
 * through an O_DSYNC descriptor before the write resolves. `relaxed`: no flush; the commit is in
 * the page cache, which survives the death of any process, and reaches the disk with the next
 * strict commit of any process or the kernel's writeback. With overlappingSync, the commit
 * releases the write lock and then flushes, in both modes, before the write resolves.
 */
function commitFlags(options: ResolvedLmdbOptions): number {
  if (options.overlappingSync || options.durability === "relaxed") return TXN_SYNC_COMMIT | TXN_NO_SYNC_FLUSH;
  return TXN_SYNC_COMMIT | 1;
}
const EMPTY = Buffer.alloc(0);
/**
 * The LMDB adapter. Every write is one synchronous LMDB write transaction (LMDB's write lock is
 * a robust mutex shared by every process), inside which core's `runTransaction` reads the
 * committed state and the net writes are applied together with the next sequence number. Reads
 * renew the read snapshot first, so a read that starts after another process's commit sees it.
 */
export class LmdbAdapter implements StorageAdapter {
  readonly kind = "lmdb";
  readonly capabilities: AdapterCapabilities;
  readonly durability: Durability;
  private readonly options: ResolvedLmdbOptions;
  private readonly limits: ValueLimits;
  private readonly cache: RecordCache;
  private env: Environment;
  private closed = false;
  private reopenNeeded = false;
  private logSwept = false;
  private readonly commitFlags: number;

  private constructor(
    private readonly location: string,
    env: Environment,
    options: ResolvedLmdbOptions,
    limits: ValueLimits,
  ) {
    this.env = env;
    this.options = options;
    this.limits = limits;
    this.durability = options.durability;
    this.cache = new RecordCache(options.cacheSize);
    this.commitFlags = commitFlags(options);
    this.capabilities = Object.freeze({
      persistent: true,
      multiProcess: true,
      durability: ["strict", "relaxed"] as const,
      filesystem: true,
      corruptionRecovery: false,
      compaction: true,
      changeRetention: options.changeRetention,
    });
  }

  /** Opens (creating if needed) the store in the directory `location`. */
  static async open(location: string, options: LmdbAdapterOptions = {}): Promise<LmdbAdapter> {
    const resolved = resolveOptions(options);
    const limits = resolveLimits(options.limits);
    if (options.create === false && !pathExists(join(resolvePath(location), "data.mdb"), "looking for the store")) {
      throw new NotFoundError(`no lmdb store at ${resolvePath(location)} (opened without create; a write creates it)`, {
        details: { store: resolvePath(location), hint: "check the store location (--store, STATEHOUSE_STORE), or write to it first" },
      });
    }
    const env = await openWhenNotCompacting(location, resolved, options.lockTimeoutMs ?? 10_000);
    try {
      // Take a reader slot now: compaction recognises other live processes by their slots.
      env.log.getBinaryFast(LOG_SEQUENCE);
    } catch (err) {
      await closeEnvironment(env);
      throw mapEngineError(err, `opening ${env.file}`, env.file);
    }
    registerOpen(env.path);
    return new LmdbAdapter(location, env, resolved, limits);
  }

  get path(): string {
    return this.env.path;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("the store is closed");
  }

  /** After a failed commit that left LMDB's environment unusable (MDB_PANIC, ENOSPC), reopen it. */
  private async ready(): Promise<void> {
    this.assertOpen();
    if (!this.reopenNeeded) return;
    const old = this.env;
    await closeEnvironment(old, true);
    this.env = openEnvironment(this.location, this.options, old.mutex);
    this.cache.clear();
    this.reopenNeeded = false;
  }

  private fail(err: unknown, what: string): never {
    if (needsReopen(err)) this.reopenNeeded = true;
    throw mapEngineError(err, what, this.env.file);
  }

  /**
   * Runs a read on a fresh snapshot: lmdb-js otherwise keeps one read transaction until a timer
   * fires, so a read could miss a commit another process finished before it started. When the
   * reader table is full, the slots of dead processes are cleared and the read tried again.
   */
  private reading<T>(what: string, body: () => T): T {
    for (let attempt = 0; ; attempt++) {
      try {
        this.env.root.resetReadTxn();
        return body();
      } catch (err) {
        if (attempt === 0 && lmdbCode(err) === MDB.READERS_FULL) {
          this.env.root.readerCheck();
          continue;
        }
        this.fail(err, what);
      }
    }
  }

  /** Decodes the record bytes `raw` (valid until the next LMDB read), serving the cache when the stamp matches. */
  private decode(collection: string, id: string, raw: Uint8Array): StoredRecord {
    const key = `${collection}\u0000${id}`;
    const hit = this.cache.lookup(key, stampOf(raw));
    if (hit !== undefined) return hit;
    const { record, stamp } = decodeRecord(collection, id, raw, this.env.file);
    this.cache.store(key, stamp, record);
    return record;
  }

  private read(collection: string, id: string): StoredRecord | undefined {
    const raw = this.env.records.getBinaryFast(recordKey(collection, id));
    if (raw === undefined) return undefined;
    return this.decode(collection, id, raw);
  }

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    await this.ready();
    if (!isValidCollection(collection) || !isValidId(id)) return undefined;
    return this.reading(`reading ${collection}/${id}`, () => this.read(collection, id));
  }

  async list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    await this.ready();
    validateListOptions(options);
    const range = listRange(collection, options);
    if (range === undefined) return { records: [] };
    const reader: RecordReader = { decode: (c, id, raw) => this.decode(c, id, raw), read: (c, id) => this.read(c, id) };
    return this.reading(`listing ${collection}`, () => readPage(this.env, reader, range));
  }

  async count(collection: string, options: CountOptions = {}): Promise<number> {
    await this.ready();
    validateListOptions(options);
    if (!isValidCollection(collection)) return 0;
    return this.reading(`counting ${collection}`, () => countRange(this.env, collection, options));
  }

  async transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    await this.ready();
    const env = this.env;
    const flags = this.commitFlags;
    let outcome: { result: T; writes: CommitWrite[]; sequence: number } | undefined;
    let userFailed = false;
    let attempted: CommitWrite[] = [];
    try {
      writeTransaction(
        env,
        () => {
          let ran: { result: T; writes: CommitWrite[] };
          try {
            ran = runTransaction(fn, (c, id) => this.readInTransaction(c, id), this.limits);
          } catch (err) {
            userFailed = true;
            throw err;
          }
          if (ran.writes.length === 0) {
            outcome = { ...ran, sequence: 0 };
            return ABORT;
          }
          const sequence = readSequence(this.env.log) + 1;
          attempted = ran.writes;
          this.apply(ran.writes, sequence);
          outcome = { ...ran, sequence };
          return undefined;
        },
        flags,
      );
    } catch (err) {
      if (userFailed) throw err;
      let bytes = 0;
      for (const w of attempted) if (w.type === "put") bytes += w.json.length * 3;
      const full = fullDiskError(err, env.path, bytes, "committing a transaction");
      if (full === undefined) this.fail(err, "committing a transaction");
      this.reopenNeeded = true; // the EIO of a cut-short write leaves the environment unusable
      throw full;
    }
    const done = outcome!;
    if (done.writes.length === 0) return { result: done.result, sequence: undefined };
    for (const w of done.writes) {
      const key = `${w.collection}\u0000${w.id}`;
      if (w.type === "put")
        this.cache.store(key, done.sequence, { collection: w.collection, id: w.id, revision: w.revision, value: w.value });
      else this.cache.delete(key);
    }
    return { result: done.result, sequence: done.sequence };
  }

  /**
   * Group commit (see `StorageAdapter.transactGroup`): the members run one after another in one
   * LMDB write transaction, committed with this adapter's flags, so a strict group is flushed
   * before any member's promise resolves. Each record is written once in its final state, stamped
   * with the sequence of its last writing member; each writing member appends its own change set.
   * The cache learns the final state only after the commit returned.
   */
  async transactGroup<T>(fns: readonly ((tx: TxContext) => T)[], options?: TransactGroupOptions): Promise<GroupOutcome<T>[]> {
    await this.ready();
    const env = this.env;
    let outcome: { group: GroupRun<T>; first: number } | undefined;
    let attempted: readonly CommitWrite[] = [];
    try {
      writeTransaction(
        env,
        () => {
          // What the members throw is theirs (in their outcomes); an engine error during a read is
          // typed by readInTransaction and fails that member alone, as it would fail its transact.
          const group = runTransactionGroup(fns, (c, id) => this.readInTransaction(c, id), this.limits, options);
          if (group.members.length === 0) {
            outcome = { group, first: 0 };
            return ABORT;
          }
          const first = readSequence(this.env.log) + 1;
          attempted = group.writes;
          this.applyRecords(
            group.writes,
            group.lastWriter.map((m) => first + m),
          );
          group.members.forEach((writes, m) => {
            if (appendChangeSet(this.env.log, writes, first + m, this.options.changeRetention, !this.logSwept)) this.logSwept = true;
          });
          outcome = { group, first };
          return undefined;
        },
        this.commitFlags,
      );
    } catch (err) {
      let bytes = 0;
      for (const w of attempted) if (w.type === "put") bytes += w.json.length * 3;
      const full = fullDiskError(err, env.path, bytes, "committing a group of transactions");
      if (full === undefined) this.fail(err, "committing a group of transactions");
      this.reopenNeeded = true;
      throw full;
    }
    const { group, first } = outcome!;
    group.writes.forEach((w, i) => {
      const key = `${w.collection}\u0000${w.id}`;
      if (w.type === "put")
        this.cache.store(key, first + group.lastWriter[i]!, { collection: w.collection, id: w.id, revision: w.revision, value: w.value });
      else this.cache.delete(key);
    });
    return groupOutcomes(group, first);
  }

  /** A read for runTransaction: engine errors are mapped here, so whatever else escapes `fn` is the caller's own. */
  private readInTransaction(collection: string, id: string): StoredRecord | undefined {
    try {
      return this.read(collection, id);
    } catch (err) {
      throw mapEngineError(err, `reading ${collection}/${id}`, this.env.file);
    }
  }

  /** Applies the net writes inside the current LMDB write transaction. Throwing aborts it whole. */
  private apply(writes: CommitWrite[], sequence: number): void {
    this.applyRecords(writes, sequence);
    if (appendChangeSet(this.env.log, writes, sequence, this.options.changeRetention, !this.logSwept)) this.logSwept = true;
  }

  /** Writes the records and their index entries; each stamped with `sequence`, or its own entry of `sequences`. */
  private applyRecords(writes: readonly CommitWrite[], sequence: number | readonly number[]): void {
    const { records, index } = this.env;
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i]!;
      const rk = recordKey(w.collection, w.id);
      const old = records.getBinaryFast(rk);
      const oldIndex: IndexKeys = old === undefined ? {} : indexOfRecord(old, this.env.file);
      const newIndex: IndexKeys = w.type === "put" ? w.index : {};
      for (const [name, key] of Object.entries(oldIndex)) {
        if (newIndex[name] !== key) index.remove(indexKey(w.collection, name, key, w.id));
      }
      if (w.type === "delete") {
        records.remove(rk);
        continue;
      }
      for (const [name, key] of Object.entries(newIndex)) {
        if (oldIndex[name] === key) continue;
        if (typeof key !== "string") throw invalidIndex(`index key of ${name} must be a string`);
        const ik = indexKey(w.collection, name, key, w.id);
        if (ik.length > MAX_KEY_BYTES) throw invalidIndex(`index entry ${name}=${key.slice(0, 40)}… is over ${MAX_KEY_BYTES} bytes`);
        index.put(ik, EMPTY);
      }
      records.put(rk, encodeRecord(typeof sequence === "number" ? sequence : sequence[i]!, w.revision, newIndex, w.json));
    }
  }

  async changes(since: number, limit = 1000): Promise<ChangeSet[]> {
    await this.ready();
    return this.reading("reading changes", () => readChanges(this.env.log, since, limit, this.options.changeRetention));
  }

  async sequence(): Promise<number> {
    await this.ready();
    return this.reading("reading the sequence", () => readSequence(this.env.log));
  }

  /** Retention: removes the change sets up to `through` (never the latest) in one write transaction. */
  async trimChanges(through: number): Promise<number> {
    await this.ready();
    const env = this.env;
    let removed = 0;
    try {
      writeTransaction(
        env,
        () => {
          removed = trimLog(env.log, through);
        },
        this.commitFlags,
      );
    } catch (err) {
      this.fail(err, "trimming the change log");
    }
    return removed;
  }

  /** See `StorageAdapter.importChanges`: the log replaced in one write transaction. */
  async importChanges(changeSets: readonly ChangeSet[], options: ImportChangesOptions): Promise<void> {
    await this.ready();
    checkImportedChanges(changeSets);
    const env = this.env;
    let refused: unknown;
    try {
      writeTransaction(
        env,
        () => {
          try {
            checkImportSequence(readSequence(env.log), options.ifSequence, changeSets);
          } catch (err) {
            refused = err;
            return ABORT;
          }
          replaceLog(env.log, changeSets.slice(-this.options.changeRetention));
          return undefined;
        },
        this.commitFlags,
      );
    } catch (err) {
      this.fail(err, "importing the change log");
    }
    if (refused !== undefined) throw refused;
  }

  /** Full scan: every record decodes, index entries and records agree, the retained log has no gaps. */
  async check(options: { repair?: boolean } = {}): Promise<IntegrityReport> {
    await this.ready();
    const report = await checkStore(this.env, options.repair === true);
    if (report.repaired.length > 0) this.cache.clear();
    return report;
  }

  /**
   * Rewrites data.mdb without its free pages (LMDB files never shrink). Needs exclusive access:
   * refused with E_LOCK_TIMEOUT while another process, or another adapter in this process, has
   * the store open.
   */
  async compact(): Promise<void> {
    await this.ready();
    const { env, error } = await compactEnvironment(this.env, this.location, this.options);
    this.env = env;
    this.cache.clear();
    if (error !== undefined) throw error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    unregisterOpen(this.env.path);
    this.cache.clear();
    await closeEnvironment(this.env);
  }
}

/** Opens the environment; while another process is compacting it, waits (up to the lock timeout) and reopens. */
async function openWhenNotCompacting(location: string, options: ResolvedLmdbOptions, timeoutMs: number): Promise<Environment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const env = openEnvironment(location, options);
    let pid: number | undefined;
    try {
      pid = compactingPid(env);
      if (pid === undefined) {
        clearStaleCompaction(env);
        return env;
      }
    } catch (err) {
      await closeEnvironment(env);
      throw mapEngineError(err, `opening ${env.file}`, env.file);
    }
    await closeEnvironment(env);
    if (Date.now() >= deadline) {
      throw new LockTimeoutError(`${env.path} is being compacted by process ${pid}; gave up after ${timeoutMs} ms`, { details: { pid } });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function invalidIndex(why: string): ValidationError {
  return new ValidationError(why, { details: { issues: [why] } });
}

export async function openAdapter(location: string, options?: LmdbAdapterOptions): Promise<StorageAdapter> {
  return LmdbAdapter.open(location, options);
}
