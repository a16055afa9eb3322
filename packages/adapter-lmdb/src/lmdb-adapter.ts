import { join, resolve as resolvePath } from "node:path";
import {
  type AdapterCapabilities,
  type ChangeSet,
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
  type StorageAdapter,
  type StoredRecord,
  type TransactResult,
  type TxContext,
  ValidationError,
  type ValueLimits,
  resolveLimits,
  validateCollection,
  validateId,
} from "@statehouse/core";
import { decodeCursor, encodeCursor, resolvePageSize, runTransaction, pathExists } from "@statehouse/core/spi";
import { ABORT } from "lmdb";
import { checkEnvironment } from "./check.js";
import { clearStaleCompaction, compactEnvironment, compactingPid } from "./compact.js";
import { type Environment, closeEnvironment, openEnvironment, writeTransaction } from "./environment.js";
import { MDB, fullDiskError, lmdbCode, mapEngineError, needsReopen } from "./map-engine-error.js";
import {
  MAX_KEY_BYTES,
  LOG_SEQUENCE,
  decodeIndexKey,
  idOfKey,
  indexKey,
  indexPrefix,
  logKey,
  recordKey,
  recordPrefix,
  sequenceOfLogKey,
  successor,
  upperBound,
} from "./keys.js";
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
/** Change sets past the retention are deleted every this many commits. */
const LOG_SWEEP_EVERY = 64;

interface StoredChangeSet {
  at: string;
  c: Array<[0 | 1, string, string, number]>;
}

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
    if (!isValidName(collection, id)) return undefined;
    return this.reading(`reading ${collection}/${id}`, () => this.read(collection, id));
  }

  async list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    await this.ready();
    const limit = resolvePageSize(options.limit);
    const cursor = options.after === undefined ? undefined : decodeCursor(options.after);
    const prefix = options.prefix ?? "";
    const byIndex = options.index !== undefined;
    if (!isValidCollection(collection)) return { records: [] };
    const db = byIndex ? this.env.index : this.env.records;
    const low = byIndex ? indexPrefix(collection, options.index!, prefix) : recordPrefix(collection, prefix);
    const high = upperBound(low);
    let at: Buffer | undefined;
    if (cursor !== undefined) at = byIndex ? indexKey(collection, options.index!, cursor.key, cursor.id) : recordKey(collection, cursor.id);
    return this.reading(`listing ${collection}`, (): ListPage => {
      const found: Array<{ key: string; id: string }> = [];
      const records: StoredRecord[] = [];
      let range: Iterable<{ key: Buffer; value: Buffer }>;
      if (options.reverse === true) {
        if (at !== undefined && Buffer.compare(at, low) <= 0) return { records: [] };
        const start = at !== undefined && Buffer.compare(at, high) < 0 ? at : high;
        range = db.getRange({ start, end: low, reverse: true, exclusiveStart: true, inclusiveEnd: true, limit: limit + 1 });
      } else {
        const start = at !== undefined && Buffer.compare(successor(at), low) > 0 ? successor(at) : low;
        if (Buffer.compare(start, high) >= 0) return { records: [] };
        range = db.getRange({ start, end: high, limit: limit + 1 });
      }
      let more = false;
      for (const { key, value } of range) {
        if (found.length === limit) {
          more = true;
          break;
        }
        if (byIndex) {
          const entry = decodeIndexKey(key);
          if (entry === undefined) throw corruptFrom(this.env.file, [`malformed index key ${Buffer.from(key).toString("hex")}`]);
          found.push({ key: entry.key, id: entry.id });
        } else {
          const id = idOfKey(key);
          records.push(this.decode(collection, id, value));
          found.push({ key: id, id });
        }
      }
      if (byIndex) {
        for (const f of found) {
          const record = this.read(collection, f.id);
          if (record === undefined) {
            throw corruptFrom(this.env.file, [`index ${options.index} lists ${collection}/${f.id}, which does not exist`]);
          }
          records.push(record);
        }
      }
      const last = found[found.length - 1];
      return more && last !== undefined ? { records, cursor: encodeCursor(last.key, last.id) } : { records };
    });
  }

  async count(collection: string, options: CountOptions = {}): Promise<number> {
    await this.ready();
    if (!isValidCollection(collection)) return 0;
    const prefix = options.prefix ?? "";
    const low = options.index !== undefined ? indexPrefix(collection, options.index, prefix) : recordPrefix(collection, prefix);
    return this.reading(`counting ${collection}`, () => {
      const db = options.index !== undefined ? this.env.index : this.env.records;
      return db.getKeysCount({ start: low, end: upperBound(low) });
    });
  }

  async transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    await this.ready();
    const env = this.env;
    const flags = this.commitFlags;
    let outcome: { result: T; writes: CommitWrite[]; sequence: number } | undefined;
    let userFailed = false;
    let attempted: CommitWrite[] = [];
    try {
      writeTransaction(env, () => {
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
        const sequence = this.currentSequence() + 1;
        attempted = ran.writes;
        this.apply(ran.writes, sequence);
        outcome = { ...ran, sequence };
        return undefined;
      }, flags);
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
      if (w.type === "put") this.cache.store(key, done.sequence, { collection: w.collection, id: w.id, revision: w.revision, value: w.value });
      else this.cache.delete(key);
    }
    return { result: done.result, sequence: done.sequence };
  }

  /** A read for runTransaction: engine errors are mapped here, so whatever else escapes `fn` is the caller's own. */
  private readInTransaction(collection: string, id: string): StoredRecord | undefined {
    try {
      return this.read(collection, id);
    } catch (err) {
      throw mapEngineError(err, `reading ${collection}/${id}`, this.env.file);
    }
  }

  private currentSequence(): number {
    const raw = this.env.log.getBinaryFast(LOG_SEQUENCE);
    return raw === undefined || raw.length < 8 ? 0 : Buffer.from(raw.buffer, raw.byteOffset, 8).readDoubleLE(0);
  }

  /** Applies the net writes inside the current LMDB write transaction. Throwing aborts it whole. */
  private apply(writes: CommitWrite[], sequence: number): void {
    const { records, index, log } = this.env;
    for (const w of writes) {
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
      records.put(rk, encodeRecord(sequence, w.revision, newIndex, w.json));
    }
    const entry: StoredChangeSet = {
      at: new Date().toISOString(),
      c: writes.map((w) => [w.type === "put" ? 1 : 0, w.collection, w.id, w.revision]),
    };
    log.put(logKey(sequence), Buffer.from(JSON.stringify(entry)));
    // `changes()` serves the last `changeRetention` change sets; older ones are deleted every
    // LOG_SWEEP_EVERY commits, together (deleting one per commit dirtied an old leaf page in every
    // commit: a quarter of a relaxed write). The first commit of each adapter sweeps too (the
    // retention may have been larger when they were written).
    const drop = sequence - this.options.changeRetention;
    if (drop > 0 && (!this.logSwept || sequence % LOG_SWEEP_EVERY === 0)) {
      for (const key of log.getKeys({ start: logKey(0), end: logKey(drop + 1) })) log.remove(key as Buffer);
      this.logSwept = true;
    }
    const seq = Buffer.alloc(8);
    seq.writeDoubleLE(sequence, 0);
    log.put(LOG_SEQUENCE, seq);
  }

  async changes(since: number, limit = 1000): Promise<ChangeSet[]> {
    await this.ready();
    return this.reading("reading changes", () => {
      const out: ChangeSet[] = [];
      if (limit <= 0) return out;
      // Change sets past the retention may still be stored until the next sweep: not served.
      const oldest = this.currentSequence() - this.options.changeRetention + 1;
      const start = logKey(Math.max(0, Math.floor(since) + 1, oldest));
      for (const { key, value } of this.env.log.getRange({ start, end: LOG_SEQUENCE, limit })) {
        const s = JSON.parse(Buffer.from(value).toString("utf8")) as StoredChangeSet;
        out.push({
          sequence: sequenceOfLogKey(key),
          at: s.at,
          changes: s.c.map(([t, collection, id, revision]) => ({ type: t === 1 ? "put" : "delete", collection, id, revision })),
        });
      }
      return out;
    });
  }

  async sequence(): Promise<number> {
    await this.ready();
    return this.reading("reading the sequence", () => this.currentSequence());
  }

  /** Full scan: every record decodes, index entries and records agree, the retained log has no gaps. */
  async check(options: { repair?: boolean } = {}): Promise<IntegrityReport> {
    await this.ready();
    const report = await checkEnvironment(this.env, options.repair === true);
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

function isValidCollection(collection: string): boolean {
  try {
    validateCollection(collection);
    return true;
  } catch {
    return false;
  }
}

function isValidName(collection: string, id: string): boolean {
  try {
    validateCollection(collection);
    validateId(id);
    return true;
  } catch {
    return false;
  }
}

function invalidIndex(why: string): ValidationError {
  return new ValidationError(why, { details: { issues: [why] } });
}

export function corruptFrom(file: string, problems: string[]): CorruptError {
  const summary = `${problems.length} structural problem(s): ${problems.slice(0, 3).join("; ")}`;
  return new CorruptError(`corrupt store: ${file}: ${summary}`, { details: { file } });
}

export async function openAdapter(location: string, options?: LmdbAdapterOptions): Promise<StorageAdapter> {
  return LmdbAdapter.open(location, options);
}
