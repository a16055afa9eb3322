import { randomUUID } from "node:crypto";
import {
  type AdapterCapabilities,
  type ChangeSet,
  type ImportChangesOptions,
  ClosedError,
  type CommitWrite,
  type CountOptions,
  type Durability,
  type IntegrityReport,
  type ListOptions,
  type ListPage,
  LockTimeoutError,
  type StorageAdapter,
  type StoredRecord,
  type GroupOutcome,
  type TransactGroupOptions,
  type TransactResult,
  type TxContext,
  type ValueLimits,
  resolveLimits,
  isStatehouseError,
  validateListOptions,
} from "@statehouse/core";
import {
  type GroupRun,
  checkImportSequence,
  checkImportedChanges,
  encodeKey,
  groupOutcomes,
  resolvePageSize,
  runTransaction,
  runTransactionGroup,
} from "@statehouse/core/spi";
import pg from "pg";
import { AbsenceGuess } from "./absence-guess.js";
import { ChangeListener, type ListenerConnection } from "./change-listener.js";
import { type ConnectionTarget, createPool, parseConnectionUrl, validateSchemaName } from "./connection.js";
import { encodeChangeEntries, encodeChanges, readChanges, readSequence } from "./change-log.js";
import { decodeRecord } from "./decode.js";
import { checkStore } from "./integrity.js";
import { countRecords, listPage } from "./listing.js";
import { isUnavailable, mapEngineError } from "./map-engine-error.js";
import { migrate } from "./migrations.js";
import { type PostgresAdapterOptions, type ResolvedPostgresOptions, resolveOptions } from "./options.js";
import { type Known, RecordCache } from "./record-cache.js";
import * as sql from "./literals.js";
import { quoteIdent } from "./schema.js";
import { type RecordRow, type Statement, type Statements, statements } from "./statements.js";

/** PostgreSQL text cannot hold NUL; core never stores a collection or id with one. */
const unreachable = (s: string) => s.includes("\u0000");

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** 25, 50, 100 … 400 ms with jitter: reconnecting to a restarting server without hammering it. */
const backoff = (attempt: number) => Math.min(400, 25 * 2 ** attempt) * (0.5 + Math.random());

const READ_SET_CHANGED = "SH409";
const ALREADY_COMMITTED = "SH200";
const SERIALIZATION_FAILURE = new Set(["40001", "40P01"]);

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

type FetchedRow = RecordRow & { collection: string };

/** What a fetch asks for: the keys, split into its array arguments, and the records already held. */
interface FetchPlan {
  readonly keys: string[];
  readonly cols: string[];
  readonly ids: string[];
  readonly seqs: number[];
  readonly held: Map<string, Known>;
}

/** The arguments of `statehouse_commit`, in its order. */
interface CommitArgs {
  token: string;
  retry: boolean;
  sync: boolean;
  lockMs: number;
  retention: number;
  rCol: string[];
  rId: string[];
  rSeq: number[];
  wType: string[];
  wCol: string[];
  wId: string[];
  wRev: number[];
  wIdx: (string | null)[];
  wVal: (string | null)[];
  ePos: number[];
  eName: Buffer[];
  eKey: Buffer[];
  entries: string;
}

/** A record read by a transaction function: what it saw, and from which fetch. */
interface Seen extends Known {
  /** The fetch (of this transact call) it came from; 0: from the cache of earlier transactions. */
  readonly generation: number;
}

/**
 * The PostgreSQL adapter. Reads are single statements. A transaction runs `fn` against records
 * fetched into memory (fetching what it misses and running it again), then commits with one
 * statement, `statehouse_commit`, which takes the counter row's lock, validates everything `fn`
 * read (absent keys included) and applies the writes; see the README for why and the numbers.
 */
export class PostgresAdapter implements StorageAdapter {
  readonly kind = "postgres";
  readonly capabilities: AdapterCapabilities;
  readonly durability: Durability;
  /** The schema holding the store's tables. */
  readonly schema: string;
  private readonly options: ResolvedPostgresOptions;
  private readonly limits: ValueLimits;
  private readonly statements: Statements;
  private readonly cache: RecordCache;
  private closed = false;
  /**
   * Opens the one transaction the adapter holds across round trips (see locked()). Its limits are
   * set here, with SET LOCAL, so that they hold on a pool the user supplied too (whose session
   * settings the adapter leaves alone): a client that stalls while holding the counter lock (a
   * stopped process, a hung event loop) is cut off by the server after
   * `idleInTransactionTimeoutMs` instead of blocking every writer of the store.
   */
  private readonly beginLocked: string;
  /** The wake-up of watchers, started by the first waitForChange(). */
  private listener: ChangeListener | undefined;
  /** Transactions of this adapter run one after another; see transact(). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Writing transactions start on the locked path; see locked(). */
  private hot = false;
  private lockedCount = 0;
  /** Collections whose misses a writing transaction assumes absent (and its commit validates). */
  private readonly absence = new AbsenceGuess();
  private guessesRefused = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    /** The URL's connection settings; undefined with a supplied pool. */
    private readonly target: ConnectionTarget | undefined,
    schema: string,
    /** The server and database, without a password, for messages. */
    readonly where: string,
    options: ResolvedPostgresOptions,
    limits: ValueLimits,
  ) {
    this.options = options;
    this.durability = options.durability;
    this.limits = limits;
    this.schema = schema;
    this.statements = statements(schema);
    this.cache = new RecordCache(options.cacheEntries);
    this.beginLocked =
      `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, options.lockTimeoutMs)}; ` +
      `SET LOCAL statement_timeout = ${options.statementTimeoutMs}; ` +
      `SET LOCAL idle_in_transaction_session_timeout = ${options.idleInTransactionTimeoutMs}`;
    this.capabilities = Object.freeze({
      persistent: true,
      multiProcess: true,
      durability: ["strict", "relaxed"] as const,
      filesystem: false,
      corruptionRecovery: false,
      compaction: true,
      changeRetention: options.changeRetention,
    });
  }

  /** Connects (or takes `options.pool`), and creates or upgrades the schema; see migrations.ts. */
  static async open(location: string, options: PostgresAdapterOptions = {}): Promise<PostgresAdapter> {
    const resolved = resolveOptions(options);
    const limits = resolveLimits(options.limits);
    let target: ConnectionTarget | undefined;
    if (location !== "" || options.pool === undefined) target = parseConnectionUrl(location);
    const schema = validateSchemaName(options.schema ?? target?.schema ?? "public");
    const where = `${target?.display ?? "(supplied pool)"}${schema === "public" ? "" : ` schema ${schema}`}`;
    const pool = options.pool ?? createPool(target!, resolved);
    const own = options.pool === undefined;
    const adapter = new PostgresAdapter(pool, own, own ? target : undefined, schema, where, resolved, limits);
    try {
      await adapter.retrying("opening the store", () => migrate(pool, schema, where, options.create !== false));
    } catch (err) {
      await adapter.close();
      throw err;
    }
    return adapter;
  }

  /**
   * How many writing transactions of this adapter took the counter-locked path (see locked()):
   * a figure for tests and diagnostics, not part of the SPI.
   */
  get lockedTransactions(): number {
    return this.lockedCount;
  }

  /**
   * How many commits that assumed a missed record absent (see AbsenceGuess) were refused because
   * one was not, or something else read had changed: a figure for tests and diagnostics.
   */
  get refusedAbsenceGuesses(): number {
    return this.guessesRefused;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("the store is closed");
  }

  /**
   * Runs `op`, reconnecting while the server is unreachable until `lockTimeoutMs` has passed, and
   * retrying a serialization failure or deadlock; anything else becomes a typed error at once.
   * Only for operations that are safe to repeat (reads, migrations).
   */
  private async retrying<T>(what: string, op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      try {
        return await op();
      } catch (err) {
        const transient = isUnavailable(err) || SERIALIZATION_FAILURE.has(pgCode(err) ?? "");
        if (!transient || Date.now() >= deadline) throw mapEngineError(err, this.where, what);
        await sleep(backoff(attempt));
      }
    }
  }

  private async run<R>(statement: Statement, values: unknown[]): Promise<R[]> {
    const r = await this.pool.query({ name: statement.name, text: statement.text, values });
    return r.rows as R[];
  }

  private query<R>(statement: Statement, values: unknown[], what: string): Promise<R[]> {
    return this.retrying(what, () => this.run<R>(statement, values));
  }

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.assertOpen();
    // PostgreSQL text cannot hold NUL, and no stored collection or id contains one.
    if (unreachable(collection) || unreachable(id)) return undefined;
    const key = RecordCache.key(collection, id);
    const cached = this.cache.get(key);
    const values = [collection, id, cached?.record === undefined ? -1 : cached.seq];
    const rows = await this.query<RecordRow>(this.statements.get, values, "reading a record");
    if (rows.length === 0) {
      this.cache.set(key, { seq: 0, record: undefined });
      return undefined;
    }
    const known = this.known(rows[0]!, collection, cached);
    this.cache.set(key, known);
    return known.record;
  }

  /** A fetched row as a record: the cached one when the server left the value out (same seq). */
  private known(row: RecordRow, collection: string, cached: Known | undefined): Known {
    if (row.value === null && cached?.record !== undefined && Number(row.seq) === cached.seq) return cached;
    return decodeRecord(row, collection, this.where);
  }

  async list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    this.assertOpen();
    validateListOptions(options);
    const limit = resolvePageSize(options.limit);
    if (unreachable(collection)) return { records: [] };
    return this.retrying("listing records", () =>
      listPage((st, values) => this.run(st, values), this.statements, collection, options, limit, this.where),
    );
  }

  async count(collection: string, options: CountOptions = {}): Promise<number> {
    this.assertOpen();
    validateListOptions(options);
    if (unreachable(collection)) return 0;
    return countRecords((st, values) => this.query(st, values, "counting records"), this.statements, collection, options);
  }

  /** One statement fetches every key asked for, so what it returns is one consistent snapshot. */
  private async fetch(wanted: Iterable<string>, seen: Map<string, Seen>, generation: number, client?: pg.PoolClient): Promise<void> {
    const plan = this.fetchPlan(wanted, seen);
    const values = [plan.cols, plan.ids, plan.seqs];
    const { fetch } = this.statements;
    const rows =
      client === undefined
        ? await this.query<FetchedRow>(fetch, values, "reading records")
        : ((await client.query({ name: fetch.name, text: fetch.text, values })).rows as FetchedRow[]);
    this.absorb(plan, rows, seen, generation);
  }

  /** The arguments of a fetch of `wanted`: a key held at some seq comes back without its value when unchanged. */
  private fetchPlan(wanted: Iterable<string>, seen: Map<string, Seen>): FetchPlan {
    const keys = [...new Set(wanted)];
    const plan: FetchPlan = { keys, cols: [], ids: [], seqs: [], held: new Map() };
    for (const k of keys) {
      const sep = k.indexOf("\u0000");
      plan.cols.push(k.slice(0, sep));
      plan.ids.push(k.slice(sep + 1));
      const cached = seen.get(k) ?? this.cache.get(k);
      if (cached?.record !== undefined) plan.held.set(k, cached);
      plan.seqs.push(cached?.record === undefined ? -1 : cached.seq);
    }
    return plan;
  }

  /** The fetch as SQL text with literal arguments, for a multi-statement message. */
  private fetchSql(plan: FetchPlan): string {
    return this.statements.fetchText(sql.textArray(plan.cols), sql.textArray(plan.ids), sql.bigintArray(plan.seqs));
  }

  /** A fetch's rows into `seen` (and the cache); a key asked for and not returned is absent. */
  private absorb(plan: FetchPlan, rows: readonly FetchedRow[], seen: Map<string, Seen>, generation: number): void {
    const found = new Map<string, Known>();
    for (const row of rows) {
      const k = RecordCache.key(row.collection, row.id);
      found.set(k, this.known(row, row.collection, plan.held.get(k)));
    }
    for (const k of plan.keys) {
      const known = found.get(k) ?? { seq: 0, record: undefined };
      seen.set(k, { ...known, generation });
      this.cache.set(k, known);
    }
  }

  /**
   * Writers serialise on the counter row anyway, so running this process's transactions
   * concurrently gains nothing and costs a conflict round for every one that read a record
   * another of them was about to write (100 concurrent increments of one record: minutes instead
   * of a second). In a queue, each runs against what the previous one committed (the cache) and
   * commits in one round trip; only other processes can make it conflict.
   */
  transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    this.assertOpen();
    const run = this.queue.then(() => this.transactNow(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transactNow<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    this.assertOpen();
    // Records this call has seen; the generation counts its fetches.
    const seen = new Map<string, Seen>();
    let generation = 0;
    const token = randomUUID();
    // Set once a commit's outcome was lost with its connection: later attempts ask the server first.
    let uncertain = false;
    const deadline = Date.now() + this.options.lockTimeoutMs;
    let conflicts = 0;
    // The result of the last run whose writes went to a commit: if that commit's outcome was lost
    // and it did land, it is this call's result.
    const sent: { result?: T; has: boolean } = { has: false };
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      const misses: string[] = [];
      const reads = new Map<string, Seen>();
      const read = (collection: string, id: string): StoredRecord | undefined => {
        const key = RecordCache.key(collection, id);
        let entry = seen.get(key);
        if (entry === undefined) {
          const cached = this.cache.get(key);
          if (cached === undefined) {
            misses.push(key);
            return undefined;
          }
          entry = { ...cached, generation: 0 };
          seen.set(key, entry);
        }
        reads.set(key, entry);
        return entry.record;
      };
      let outcome: { result: T; writes: CommitWrite[] };
      try {
        outcome = runTransaction(fn, read, this.limits);
      } catch (err) {
        // A run that missed a record saw a made-up absence: what it threw proves nothing. Nor does a
        // throw decided on a record from the cache (or from two fetches), which may be stale (a
        // conflict naming an old revision or lease token): as for a read-only run, it is believed
        // only when everything it read came from one fetch of this call.
        const fresh = [...reads.values()].every((r) => r.generation === generation && generation > 0) || reads.size === 0;
        // After a commit whose outcome was lost: a run that throws on records fetched since may be
        // reacting to that very commit (a key it creates "already exists"). Ask whether it landed.
        const landed = uncertain && sent.has ? await this.tokenSeq(token) : undefined;
        if (landed !== undefined) return { result: sent.result as T, sequence: landed };
        if (misses.length === 0 && fresh) throw err;
        generation++;
        await this.fetch([...reads.keys(), ...misses], seen, generation);
        this.absence.learn(misses, seen);
        continue;
      }
      // A writing run whose misses are all in collections where misses lately were absent commits
      // with them read as absent (expected sequence 0, validated by the commit): no fetch first.
      const optimistic = !this.hot && conflicts < this.options.lockAfterConflicts;
      const guessed = optimistic && outcome.writes.length > 0 && this.absence.likely(misses) ? misses : [];
      if (misses.length > 0 && guessed.length === 0) {
        // Everything read so far is fetched again with the misses: one snapshot for the next run.
        generation++;
        await this.fetch([...reads.keys(), ...misses], seen, generation);
        this.absence.learn(misses, seen);
        continue;
      }
      for (const k of guessed) reads.set(k, { seq: 0, record: undefined, generation: 0 });
      if (outcome.writes.length === 0) {
        // Read-only: done when everything it read came from one fetch of this call; a record from
        // the cache (or from two fetches) may be stale, so fetch them all once more and run again.
        if ([...reads.values()].every((r) => r.generation === generation && generation > 0) || reads.size === 0) {
          // Unless a lost commit of this call landed: the run found nothing to do because of it.
          const landed = uncertain && sent.has ? await this.tokenSeq(token) : undefined;
          if (landed !== undefined) return { result: sent.result as T, sequence: landed };
          return { result: outcome.result, sequence: undefined };
        }
        generation++;
        await this.fetch(reads.keys(), seen, generation);
        continue;
      }
      if (this.hot || conflicts >= this.options.lockAfterConflicts) {
        // This run's read set (records possibly stale) tells the locked path what to fetch with the lock.
        const out = await this.locked(fn, token, uncertain, deadline, attempt, reads, sent);
        if (out !== undefined) return out;
        uncertain = true;
        continue;
      }
      // An earlier attempt's result: if its commit landed (its answer was lost), it is the transaction's.
      const earlier = sent.result;
      sent.result = outcome.result;
      sent.has = true;
      const committed = await this.commit(token, uncertain, reads, outcome.writes, deadline, attempt);
      if (committed.kind === "uncertain") {
        uncertain = true;
        continue;
      }
      if (committed.kind === "landed") {
        // This run's writes were not made: the earlier run's were. Its result is returned, and the
        // records this run would have written are fetched again when next read.
        this.forget(outcome.writes);
        sent.result = earlier;
        return { result: earlier as T, sequence: committed.seq };
      }
      if (committed.kind === "conflict" && guessed.length > 0) {
        // Possibly only the guess was wrong: fetch what it skipped, and guess no more there. Not a
        // lost race (the next commit, with nothing guessed, counts if it is one).
        this.guessesRefused++;
        this.absence.forget(guessed);
        generation++;
        await this.fetch(reads.keys(), seen, generation);
        continue;
      }
      if (committed.kind === "conflict") {
        conflicts++;
        // The locked path fetches under the lock anyway: no fetch now when that is next.
        if (conflicts >= this.options.lockAfterConflicts) continue;
        generation++;
        await this.fetch(reads.keys(), seen, generation);
        continue;
      }
      // A guessed key the commit did not write was validated absent at that sequence.
      for (const k of guessed) this.cache.set(k, { seq: 0, record: undefined });
      this.remember(outcome.writes, committed.seq);
      return { result: outcome.result, sequence: committed.seq };
    }
  }

  /**
   * After `lockAfterConflicts` lost races (and while the store is hot, below): one transaction on
   * one connection locks the counter row first (`FOR UPDATE`), fetches what `fn` reads, runs it
   * and commits through the same statehouse_commit (whose own counter update and validation then
   * cannot fail). Nobody commits in between, so it cannot lose again: a writer that another keeps
   * beating (its cache is always one commit behind) is not starved.
   *
   * Every other writer waits while this holds the lock, so the lock is held across as few client
   * round trips as possible: two. The first message is BEGIN, the SET LOCAL limits, the lock and
   * the fetch of `known` (what the run before read) as one simple query; under READ COMMITTED the
   * fetch, a later statement, sees everything committed before the lock was granted. The second is
   * the commit and COMMIT. Both carry their values as literals escaped by the driver (see
   * literals.ts), since only the simple-query protocol takes several statements per message. A run
   * that reads a record outside `known` costs one more round trip (a prepared fetch).
   *
   * "Hot": a locked transaction whose `known` records had changed since this process last saw
   * them would have lost an optimistic race, so the next transaction goes straight to the locked
   * path instead of first queueing a commit that is doomed to fail behind the lock; the first
   * locked transaction that finds them unchanged turns the optimistic path back on.
   * Undefined: the connection was lost; retry with the token.
   */
  private async locked<T>(
    fn: (tx: TxContext) => T,
    token: string,
    retry: boolean,
    deadline: number,
    attempt: number,
    known: ReadonlyMap<string, Known>,
    sent: { result?: T; has: boolean },
  ): Promise<TransactResult<T> | undefined> {
    return this.onLockedClient(deadline, attempt, "committing a transaction", async (client) => {
      const seen = new Map<string, Seen>();
      await this.lockAndFetch(client, known.keys(), seen);
      this.hot = [...known].some(([k, was]) => seen.get(k)!.seq !== was.seq);
      let outcome: { result: T; writes: CommitWrite[] } | undefined;
      let reads = new Map<string, Seen>();
      for (;;) {
        const misses: string[] = [];
        const r = new Map<string, Seen>();
        reads = r;
        const read = (collection: string, id: string): StoredRecord | undefined => {
          const key = RecordCache.key(collection, id);
          const entry = seen.get(key);
          if (entry === undefined) {
            misses.push(key);
            return undefined;
          }
          r.set(key, entry);
          return entry.record;
        };
        try {
          outcome = runTransaction(fn, read, this.limits);
        } catch (err) {
          if (misses.length === 0) {
            // A retry after a lost commit: the records were fetched under the counter lock, so a
            // commit of this token that landed is visible, and may be what the run threw on.
            const landed = retry && sent.has ? await this.tokenSeq(token, client) : undefined;
            if (landed === undefined) throw err;
            await client.query("ROLLBACK");
            return { result: sent.result as T, sequence: landed };
          }
        }
        if (misses.length === 0) break;
        await this.fetch(misses, seen, 1, client);
      }
      const done = outcome!;
      if (done.writes.length === 0) {
        // On a retry, a run with nothing to do may have found its own landed commit.
        const landed = retry && sent.has ? await this.tokenSeq(token, client) : undefined;
        await client.query("ROLLBACK");
        if (landed !== undefined) return { result: sent.result as T, sequence: landed };
        return { result: done.result, sequence: undefined };
      }
      const earlier = sent.result;
      sent.result = done.result;
      sent.has = true;
      const second = `${this.commitSql(this.commitArgs(token, retry, reads, done.writes))}; COMMIT`;
      let seq: number;
      try {
        const committed = (await client.query(second)) as unknown as pg.QueryResult<{ seq: string }>[];
        seq = Number(committed[0]!.rows[0]!.seq);
      } catch (err) {
        if (pgCode(err) !== ALREADY_COMMITTED) throw err;
        await client.query("ROLLBACK");
        // An earlier attempt's commit landed (its answer was lost): its result is the
        // transaction's; this run's writes were not made, so they are not remembered.
        this.forget(done.writes);
        sent.result = earlier;
        return { result: earlier as T, sequence: Number((err as Error).message) };
      }
      this.remember(done.writes, seq);
      return { result: done.result, sequence: seq };
    });
  }

  /**
   * The frame of the counter-locked paths (locked(), lockedGroup()): a connection of its own,
   * `body` on it, and what follows from how it ended. Undefined: the server could not be reached
   * or the connection was lost (retry, with the token, until `deadline`). A body that resolves has
   * ended its transaction (COMMIT or ROLLBACK); one that throws is rolled back here, and its
   * connection is not given back to the pool.
   */
  private async onLockedClient<R>(
    deadline: number,
    attempt: number,
    what: string,
    body: (client: pg.PoolClient) => Promise<R>,
  ): Promise<R | undefined> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      if (!isUnavailable(err) || Date.now() >= deadline) throw mapEngineError(err, this.where, "connecting");
      await sleep(backoff(attempt));
      return undefined;
    }
    this.lockedCount++;
    let clean = false;
    try {
      const out = await body(client);
      clean = true;
      return out;
    } catch (err) {
      if (isUnavailable(err)) {
        if (Date.now() >= deadline) throw mapEngineError(err, this.where, what);
        await sleep(backoff(attempt));
        return undefined;
      }
      if (pgCode(err) === "55P03") throw this.lockTimeout(err);
      throw pgCode(err) === undefined ? err : mapEngineError(err, this.where, what);
    } finally {
      if (!clean) await client.query("ROLLBACK").catch(() => undefined);
      // A connection whose transaction did not end cleanly is not given back to the pool.
      client.release(clean ? undefined : true);
    }
  }

  /**
   * The locked path's first message on `client`: BEGIN with its limits, the counter lock, and the
   * fetch of `keys` into `seen`, one simple query (see locked()).
   */
  private async lockAndFetch(client: pg.PoolClient, keys: Iterable<string>, seen: Map<string, Seen>): Promise<void> {
    const plan = this.fetchPlan(keys, seen);
    const first = `${this.beginLocked}; ${this.statements.lockCounter.text}${plan.keys.length === 0 ? "" : `; ${this.fetchSql(plan)}`}`;
    const results = (await client.query(first)) as unknown as pg.QueryResult[];
    if (plan.keys.length > 0) this.absorb(plan, results[results.length - 1]!.rows as FetchedRow[], seen, 1);
  }

  /**
   * Group commit (see `StorageAdapter.transactGroup`): the members run one after another in one
   * counter-locked transaction and commit with one COMMIT (one WAL flush in strict durability),
   * each its own logical transaction with its own sequence and change set. Two round trips hold the
   * lock, as in locked(): BEGIN, the lock and the fetch of what a run of the members against this
   * process's cache read; then one `statehouse_commit` per writing member and COMMIT. Holding the
   * lock, nobody else commits, so the members' reads need no validation (an empty read set).
   */
  transactGroup<T>(fns: readonly ((tx: TxContext) => T)[], options?: TransactGroupOptions): Promise<GroupOutcome<T>[]> {
    this.assertOpen();
    const run = this.queue.then(() => this.transactGroupNow(fns, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transactGroupNow<T>(
    fns: readonly ((tx: TxContext) => T)[],
    options: TransactGroupOptions | undefined,
  ): Promise<GroupOutcome<T>[]> {
    const token = randomUUID();
    const deadline = Date.now() + this.options.lockTimeoutMs;
    // The read set to fetch with the lock: what the members read running against the cache.
    const known = new Set<string>();
    runTransactionGroup(
      fns,
      (collection, id) => {
        const key = RecordCache.key(collection, id);
        known.add(key);
        return this.cache.get(key)?.record;
      },
      this.limits,
      options,
    );
    let uncertain = false;
    const sent: { group?: GroupRun<T> } = {};
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      const out = await this.lockedGroup(fns, options, token, uncertain, deadline, attempt, known, sent);
      if (out !== undefined) return out;
      uncertain = true;
    }
  }

  /** One attempt of a group commit; undefined: the connection was lost, retry with the token. */
  private async lockedGroup<T>(
    fns: readonly ((tx: TxContext) => T)[],
    options: TransactGroupOptions | undefined,
    token: string,
    retry: boolean,
    deadline: number,
    attempt: number,
    known: ReadonlySet<string>,
    sent: { group?: GroupRun<T> },
  ): Promise<GroupOutcome<T>[] | undefined> {
    return this.onLockedClient(deadline, attempt, "committing a group of transactions", async (client) => {
      const seen = new Map<string, Seen>();
      await this.lockAndFetch(client, known, seen);
      let group: GroupRun<T>;
      for (;;) {
        const misses: string[] = [];
        group = runTransactionGroup(
          fns,
          (collection, id) => {
            const key = RecordCache.key(collection, id);
            const entry = seen.get(key);
            if (entry === undefined) misses.push(key);
            return entry?.record;
          },
          this.limits,
          options,
        );
        if (misses.length === 0) break;
        await this.fetch(misses, seen, 1, client);
      }
      if (group.members.length === 0) {
        await client.query("ROLLBACK");
        return groupOutcomes(group, 0);
      }
      // Member m's token is the group's with its number: a retry after a lost connection finds the
      // first member's change set if the group (one transaction) committed.
      const none = new Map<string, Seen>();
      const calls = group.members.map((writes, m) => this.commitSql(this.commitArgs(`${token}:${m}`, retry, none, writes)));
      const earlier = sent.group;
      sent.group = group;
      let first: number;
      try {
        const committed = (await client.query(`${calls.join("; ")}; COMMIT`)) as unknown as pg.QueryResult<{ seq: string }>[];
        first = Number(committed[0]!.rows[0]!.seq);
      } catch (err) {
        if (pgCode(err) !== ALREADY_COMMITTED || earlier === undefined) throw err;
        await client.query("ROLLBACK");
        // An earlier attempt's group landed (its answer was lost): its outcomes are the group's;
        // this run's writes were not made.
        for (const writes of group.members) this.forget(writes);
        sent.group = earlier;
        first = Number((err as Error).message);
        earlier.members.forEach((writes, m) => {
          this.remember(writes, first + m);
        });
        return groupOutcomes(earlier, first);
      }
      group.members.forEach((writes, m) => {
        this.remember(writes, first + m);
      });
      return groupOutcomes(group, first);
    });
  }

  private lockTimeout(err: unknown): LockTimeoutError {
    return new LockTimeoutError(`timed out after ${this.options.lockTimeoutMs} ms waiting for another client's commit (${this.where})`, {
      cause: err,
      details: { server: this.where, pgCode: pgCode(err) },
    });
  }

  /**
   * Sends the commit statement. `conflict`: something read changed (no effect; run again).
   * `uncertain`: the connection was lost, so the commit may or may not have landed; the next
   * attempt, with `retry` set, finds out under the counter lock.
   */
  /** The sequence a commit with `token` got, or undefined when none landed. */
  private async tokenSeq(token: string, client?: pg.PoolClient): Promise<number | undefined> {
    const st = this.statements.committedToken;
    const rows =
      client === undefined
        ? await this.query<{ seq: string }>(st, [token], "checking a retried commit")
        : (await client.query<{ seq: string }>({ name: st.name, text: st.text, values: [token] })).rows;
    return rows[0] === undefined ? undefined : Number(rows[0].seq);
  }

  private async commit(
    token: string,
    retry: boolean,
    reads: Map<string, Seen>,
    writes: CommitWrite[],
    deadline: number,
    attempt: number,
  ): Promise<{ kind: "committed"; seq: number } | { kind: "landed"; seq: number } | { kind: "conflict" } | { kind: "uncertain" }> {
    const values = PostgresAdapter.commitParams(this.commitArgs(token, retry, reads, writes));
    try {
      const rows = await this.run<{ seq: string }>(this.statements.commit, values);
      return { kind: "committed", seq: Number(rows[0]!.seq) };
    } catch (err) {
      const code = pgCode(err);
      if (code === READ_SET_CHANGED) return { kind: "conflict" };
      // The token's commit from an earlier attempt landed; this one was not made.
      if (code === ALREADY_COMMITTED) return { kind: "landed", seq: Number((err as Error).message) };
      if (code !== undefined && SERIALIZATION_FAILURE.has(code)) return { kind: "conflict" };
      if (isUnavailable(err)) {
        if (Date.now() >= deadline) throw mapEngineError(err, this.where, "committing a transaction");
        await sleep(backoff(attempt));
        return { kind: "uncertain" };
      }
      if (code === "55P03") throw this.lockTimeout(err);
      throw mapEngineError(err, this.where, "committing a transaction");
    }
  }

  /** The arguments of `statehouse_commit`: the read set, the writes and their index entries as arrays. */
  private commitArgs(token: string, retry: boolean, reads: Map<string, Seen>, writes: CommitWrite[]): CommitArgs {
    const a: CommitArgs = {
      token,
      retry,
      sync: this.durability === "strict",
      lockMs: Math.max(1, this.options.lockTimeoutMs),
      retention: this.options.changeRetention,
      rCol: [],
      rId: [],
      rSeq: [],
      wType: [],
      wCol: [],
      wId: [],
      wRev: [],
      wIdx: [],
      wVal: [],
      ePos: [],
      eName: [],
      eKey: [],
      entries: encodeChanges(writes),
    };
    for (const [key, entry] of reads) {
      const sep = key.indexOf("\u0000");
      a.rCol.push(key.slice(0, sep));
      a.rId.push(key.slice(sep + 1));
      a.rSeq.push(entry.seq);
    }
    writes.forEach((w, i) => {
      a.wType.push(w.type === "put" ? "p" : "d");
      a.wCol.push(w.collection);
      a.wId.push(w.id);
      a.wRev.push(w.revision);
      if (w.type === "put") {
        const names = Object.keys(w.index);
        a.wIdx.push(names.length === 0 ? null : JSON.stringify(w.index));
        a.wVal.push(w.json);
        for (const name of names) {
          a.ePos.push(i + 1);
          a.eName.push(encodeKey(name));
          a.eKey.push(encodeKey(w.index[name]!));
        }
      } else {
        a.wIdx.push(null);
        a.wVal.push(null);
      }
    });
    return a;
  }

  /** The commit's arguments as bind parameters of the prepared statement. */
  private static commitParams(a: CommitArgs): unknown[] {
    return [
      a.token,
      a.retry,
      a.sync,
      a.lockMs,
      a.retention,
      a.rCol,
      a.rId,
      a.rSeq,
      a.wType,
      a.wCol,
      a.wId,
      a.wRev,
      a.wIdx,
      a.wVal,
      a.ePos,
      a.eName,
      a.eKey,
      a.entries,
    ];
  }

  /** The commit as SQL text with literal arguments (escaped by the driver), for a multi-statement message. */
  private commitSql(a: CommitArgs): string {
    return this.statements.commitText([
      sql.text(a.token),
      sql.boolean(a.retry),
      sql.boolean(a.sync),
      `${sql.integer(a.lockMs)}::integer`,
      `${sql.integer(a.retention)}::bigint`,
      sql.textArray(a.rCol),
      sql.textArray(a.rId),
      sql.bigintArray(a.rSeq),
      sql.textArray(a.wType),
      sql.textArray(a.wCol),
      sql.textArray(a.wId),
      sql.bigintArray(a.wRev),
      sql.textArray(a.wIdx),
      sql.textArray(a.wVal),
      sql.integerArray(a.ePos),
      sql.byteaArray(a.eName),
      sql.byteaArray(a.eKey),
      sql.text(a.entries),
    ]);
  }

  /** Writes that were not made after all: their records are fetched again when next read. */
  private forget(writes: readonly CommitWrite[]): void {
    for (const w of writes) this.cache.delete(RecordCache.key(w.collection, w.id));
  }

  /** After a commit, the cache holds what this process just wrote. */
  private remember(writes: CommitWrite[], seq: number): void {
    for (const w of writes) {
      const key = RecordCache.key(w.collection, w.id);
      if (w.type === "put") {
        const record: StoredRecord = Object.freeze({ collection: w.collection, id: w.id, revision: w.revision, value: w.value });
        this.cache.set(key, { seq, record });
      } else {
        this.cache.set(key, { seq: 0, record: undefined });
      }
    }
  }

  async changes(since: number, limit = 1000): Promise<ChangeSet[]> {
    this.assertOpen();
    return readChanges((st, values) => this.query(st, values, "reading changes"), this.statements, since, limit, this.where);
  }

  async sequence(): Promise<number> {
    this.assertOpen();
    return readSequence((st, values) => this.query(st, values, "reading the sequence"), this.statements);
  }

  /** Integrity check, and with `repair` a rebuild of index entries from the records; see integrity.ts. */
  async check(options: { repair?: boolean } = {}): Promise<IntegrityReport> {
    this.assertOpen();
    const repair = options.repair === true;
    // Safe to repeat: the check only reads, and the repair is idempotent and in one transaction.
    const report = await this.retrying("checking the store", () =>
      this.withClient((client) => checkStore(client, this.schema, repair, this.options.lockTimeoutMs)),
    );
    if (report.repaired.length > 0) this.cache.clear();
    return report;
  }

  /**
   * Deletes change sets beyond `changeRetention` (commits trim at most 1,000 per 64 commits), then
   * `VACUUM (ANALYZE)`s the store's tables: the space of deleted rows is reused and trailing empty
   * pages go back to the OS. Not `VACUUM FULL`, which would lock every other client out of the store
   * for the rewrite; a database administrator can run that in a quiet hour.
   */
  /** Retention: removes the change sets up to `through` (never the latest) in one statement. */
  async trimChanges(through: number): Promise<number> {
    this.assertOpen();
    if (!Number.isFinite(through)) return 0;
    const q = quoteIdent(this.schema);
    return this.retrying("trimming the change log", async () => {
      const r = await this.pool.query(
        `DELETE FROM ${q}.statehouse_changes WHERE seq <= LEAST($1::bigint, (SELECT seq FROM ${q}.statehouse_counter) - 1)`,
        [Math.floor(through)],
      );
      return r.rowCount ?? 0;
    });
  }

  /**
   * See `StorageAdapter.importChanges`: in one transaction holding the counter's row lock (which
   * every commit takes first), the log is replaced and the counter set to the last sequence.
   */
  async importChanges(changeSets: readonly ChangeSet[], options: ImportChangesOptions): Promise<void> {
    this.assertOpen();
    checkImportedChanges(changeSets);
    const sets = changeSets.slice(-this.options.changeRetention);
    const q = quoteIdent(this.schema);
    await this.withClient(async (client) => {
      try {
        await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, this.options.lockTimeoutMs)}`);
        const r = await client.query(`SELECT seq FROM ${q}.statehouse_counter FOR UPDATE`);
        checkImportSequence(Number((r.rows[0] as { seq?: string } | undefined)?.seq ?? 0), options.ifSequence, changeSets);
        await client.query(`DELETE FROM ${q}.statehouse_changes`);
        await client.query(
          `INSERT INTO ${q}.statehouse_changes (seq, at, token, entries)
           SELECT s, a, 'import:' || s::text, e FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t(s, a, e)`,
          [sets.map((c) => c.sequence), sets.map((c) => Date.parse(c.at)), sets.map((c) => encodeChangeEntries(c.changes))],
        );
        await client.query(`UPDATE ${q}.statehouse_counter SET seq = $1::bigint`, [changeSets[changeSets.length - 1]!.sequence]);
        await client.query("SELECT pg_notify('statehouse_changes', $1)", [`${this.schema}:${changeSets[changeSets.length - 1]!.sequence}`]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        if (isStatehouseError(err)) throw err;
        throw mapEngineError(err, this.where, "importing the change log");
      }
    });
  }

  async compact(): Promise<void> {
    this.assertOpen();
    const q = quoteIdent(this.schema);
    await this.retrying("compacting the store", async () => {
      await this.pool.query(`DELETE FROM ${q}.statehouse_changes WHERE seq <= (SELECT seq FROM ${q}.statehouse_counter) - $1::bigint`, [
        this.options.changeRetention,
      ]);
      const tables = ["statehouse_records", "statehouse_index_entries", "statehouse_changes", "statehouse_counter"];
      await this.pool.query(`VACUUM (ANALYZE) ${tables.map((t) => `${q}.${t}`).join(", ")}`);
    });
  }

  /** Runs `fn` on one connection of the pool; a connection that failed is not given back. */
  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let ok = false;
    try {
      const out = await fn(client);
      ok = true;
      return out;
    } finally {
      client.release(ok ? undefined : true);
    }
  }

  /**
   * Resolves when a commit after `sequence` may have happened: PostgreSQL's NOTIFY (sent by every
   * commit) on a LISTEN connection of its own, or the listener's heartbeat; at most `timeoutMs`.
   * A wake-up only: core's watch reads `sequence()` and `changes()` itself, so a lost notification
   * costs latency, never a change set. While the listener is reconnecting, waiters poll.
   */
  waitForChange(sequence: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    this.listener ??= new ChangeListener({
      schema: this.schema,
      heartbeatMs: this.options.watchHeartbeatMs,
      connect: () => this.listenerConnection(),
      readSequence: async (client) => {
        const r = await client.query({ name: this.statements.sequence.name, text: this.statements.sequence.text });
        return Number((r.rows[0] as { seq?: string } | undefined)?.seq ?? 0);
      },
    });
    return this.listener.wait(sequence, timeoutMs, signal);
  }

  /**
   * The listener's connection: a client of its own beside the adapter's pool (so a watcher never
   * takes one of the pool's connections), or, with a supplied pool, one of that pool's clients.
   */
  private async listenerConnection(): Promise<ListenerConnection> {
    if (this.target === undefined) {
      const pooled = await this.pool.connect();
      return { client: pooled, dispose: () => pooled.release(true) };
    }
    const client = new pg.Client({
      application_name: "statehouse",
      ...this.target.config,
      connectionTimeoutMillis: Math.max(1000, this.options.lockTimeoutMs),
    });
    // A refused or lost connection also emits 'error': without a listener it would end the process.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return { client, dispose: () => void client.end().catch(() => undefined) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    await this.listener?.close();
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
  }
}

export async function openAdapter(location: string, options?: PostgresAdapterOptions): Promise<StorageAdapter> {
  return PostgresAdapter.open(location, options);
}
