import { ClosedError, isStatehouseError } from "../errors.js";
import { type GroupCommitOptions, GroupCommitter } from "../spi/group-commit.js";
import { openAdapterUrl } from "../spi/registry.js";
import type { JsonObject } from "../json/types.js";
import type { AdapterOptions, ChangeSet, StorageAdapter } from "../spi/types.js";
import { type ValueLimits, resolveLimits, validateId } from "../validation.js";
import { Agents } from "./agents.js";
import { Alerts } from "./alerts.js";
import { type BatchOperation, type BatchOptions, planBatch, withBatchSequence } from "./batch.js";
import { COLLECTION, nowIso } from "./collections.js";
import { type ConfigSchemaOptions, ProjectConfigs } from "./config.js";
import type { DomainContext, Plan, RunCondition, Written } from "./context.js";
import { DEFAULT_IDEMPOTENCY_WINDOW_MS, checkIdempotencyKey, checkIdempotencyWindow, fingerprint, idempotent } from "./idempotency.js";
import { DEFAULT_HISTORY_LIMIT, checkHistoryLimit } from "./history.js";
import { HISTORY_POLICY_REFRESH_MS, HISTORY_PROJECT, historyLimitOf } from "./history-policy.js";
import { Metrics } from "./metrics.js";
import { type GcOptions, type GcReport, Retention } from "./retention.js";
import type { RetentionPolicy } from "./retention-policy.js";
import { STALE_AGENT_LISTING, Sessions } from "./sessions.js";
import { StateDocument } from "./state-document.js";
import { type LeaseFence, Leases, checkFence, fenced } from "./leases.js";
import type { DocumentInfo, StoreApi } from "./store-api.js";
import { listPage } from "./paging.js";
import { Tools } from "./tools.js";
import { type WatchEvent, type WatchOptions, checkWatchOptions, watchChanges } from "./watch.js";
import {
  ACTIVE_AGENT_STATUSES,
  type Agent,
  type ListOptionsBasic,
  type Page,
  SESSION_STATUSES,
  type SessionStatus,
  type WriteResult,
} from "./types.js";

/** Options of `open()`: the adapter's, plus the domain's. */
export interface StoreOptions extends AdapterOptions {
  /** Validation of project configs. Default: the built-in schema only. */
  config?: ConfigSchemaOptions;
  /**
   * How long an idempotency key is remembered, in milliseconds (1 to 30 days). Default 24 hours.
   * Each process applies its own window when it writes with a key.
   */
  idempotencyWindowMs?: number;
  /**
   * How many earlier revisions each state document keeps in history (`doc.history()`,
   * `doc.read({ revision })`, `doc.diff()`), besides its current one: 0 to 1,000. Default 20; 0 keeps
   * none (and a document's kept history is dropped at its next write). Each write then also stores
   * the previous value, in the same transaction. Each process applies its own limit when it writes.
   * Omitted: the `default` project's config section `{"history": {"limit": N}}` when it has one
   * (read before the first write, and again at most once a second before a write, at once after
   * this store's own config writes), so every process of a store (CLI, daemon, library) agrees; else 20.
   */
  historyLimit?: number;
  /**
   * Group commit: the writes this process makes while another of its commits is in flight are
   * committed together, one physical commit (one fsync in strict durability) for all, each still
   * its own transaction with its own revision, sequence and error (see `GroupCommitter`). Worth it
   * when one process writes concurrently for many clients: the daemon turns it on. Options bound
   * a group's size. Default `false`: a library call commits alone, without waiting for the end of
   * the event-loop turn. Adapters without `transactGroup` (file) ignore it. Bad
   * bounds: E_CONFIG.
   */
  groupCommit?: boolean | GroupCommitOptions;
}

/** What a dashboard refresh needs, in one call. */
export interface DashboardSnapshot {
  readonly at: string;
  readonly sequence: number;
  readonly sessionsByStatus: Readonly<Record<SessionStatus, number>>;
  readonly totalSessions: number;
  readonly activeAgents: readonly Agent[];
  readonly recentChanges: readonly ChangeSet[];
}

/** Options of `Store.snapshot`. */
export interface SnapshotOptions {
  /** Change sets to include. Default 20. */
  recentChanges?: number;
  /** Active agents to include, oldest first. Default 100. */
  activeAgents?: number;
}

// process.hrtime, not performance.now: the latter loads perf_hooks, a cost every CLI call would pay.
function elapsedMs(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The plan, checked against the lease fence of `condition` (validated now, checked in the transaction) if it has one. */
function withFence<T>(plan: Plan<T>, condition: { ifLease?: LeaseFence } | undefined): Plan<T> {
  return condition?.ifLease === undefined ? plan : fenced(plan, checkFence(condition.ifLease));
}

/** A store: the domain API over one adapter. Get one with `open(url)`. */
export class Store implements StoreApi {
  readonly sessions: Sessions;
  readonly agents: Agents;
  readonly config: ProjectConfigs;
  readonly tools: Tools;
  readonly leases: Leases;
  /** Alerts kept in the store: evaluated by the daemon, read by every process. */
  readonly alerts: Alerts;
  private readonly retention: Retention;
  readonly metrics = new Metrics();
  readonly limits: ValueLimits;
  /** How long idempotency keys are remembered (ms). */
  readonly idempotencyWindowMs: number;
  private readonly explicitHistoryLimit: number | undefined;
  private configuredHistoryLimit: number = DEFAULT_HISTORY_LIMIT;
  private historyPolicyReadAt = Number.NEGATIVE_INFINITY;
  private readonly ctx: DomainContext;
  private closed = false;

  constructor(
    readonly adapter: StorageAdapter,
    options: StoreOptions = {},
  ) {
    this.limits = resolveLimits(options.limits);
    this.idempotencyWindowMs = checkIdempotencyWindow(options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS);
    this.explicitHistoryLimit = options.historyLimit === undefined ? undefined : checkHistoryLimit(options.historyLimit);
    const window = this.idempotencyWindowMs;
    // The fence inside, the idempotency key outermost: a retry whose first attempt committed
    // replays it even after its lease moved on.
    const guard = <T>(kind: string, plan: Plan<T>, condition: RunCondition | undefined, request: unknown): Plan<T> => {
      const fenced = withFence(plan, condition);
      if (condition?.idempotencyKey === undefined) return fenced;
      const key = checkIdempotencyKey(condition.idempotencyKey);
      return idempotent(fenced, key, kind, fingerprint(kind, request, condition), window);
    };
    const metrics = this.metrics;
    const group = options.groupCommit;
    const committer = group === undefined || group === false ? undefined : new GroupCommitter(adapter, group === true ? {} : group);
    const runWithSequence = async <T>(kind: string, plan: Plan<T>) => {
      if (this.explicitHistoryLimit === undefined && Date.now() - this.historyPolicyReadAt >= HISTORY_POLICY_REFRESH_MS) {
        await this.refreshHistoryLimit();
      }
      const t0 = process.hrtime.bigint();
      try {
        const r =
          committer === undefined
            ? await adapter.transact((tx) => plan(tx, nowIso()))
            : await committer.transact((tx) => plan(tx, nowIso()));
        metrics.record(kind, elapsedMs(t0), true);
        // This store's own config write applies to its next write at once.
        if (kind.startsWith("config.")) this.historyPolicyReadAt = Number.NEGATIVE_INFINITY;
        return r;
      } catch (err) {
        metrics.record(kind, elapsedMs(t0), false);
        throw err;
      }
    };
    const store = this;
    this.ctx = {
      adapter,
      limits: this.limits,
      metrics,
      get historyLimit() {
        return store.historyLimit;
      },
      runWithSequence,
      run: async <T>(kind: string, plan: Plan<T>, condition?: RunCondition, request?: unknown): Promise<T> =>
        (await runWithSequence(kind, guard(kind, plan, condition, request))).result,
      runWrite: async <T extends WriteResult>(
        kind: string,
        plan: Plan<Written<T>>,
        condition?: RunCondition,
        request?: unknown,
      ): Promise<T> => {
        const { result, sequence } = await runWithSequence(kind, guard(kind, plan, condition, request));
        // A replayed idempotent write committed nothing: it has no sequence of its own.
        return { ...result, sequence } as T;
      },
      read: async <T>(kind: string, fn: () => Promise<T>): Promise<T> => {
        const t0 = process.hrtime.bigint();
        try {
          const r = await fn();
          metrics.record(kind, elapsedMs(t0), true);
          return r;
        } catch (err) {
          metrics.record(kind, elapsedMs(t0), false);
          throw err;
        }
      },
    };
    this.sessions = new Sessions(this.ctx);
    this.agents = new Agents(this.ctx);
    this.config = new ProjectConfigs(this.ctx, options.config);
    this.tools = new Tools(this.ctx);
    this.leases = new Leases(this.ctx);
    this.alerts = new Alerts(this.ctx);
    this.retention = new Retention(this.ctx);
  }

  /**
   * Retention: deletes ended sessions older than the limit (with their state documents and agents),
   * expired idempotency records, and trims the change log, in bounded batches, never anything
   * active. Limits come from `options`, else from the `default` project's `retention` config
   * section; see `GcOptions`. Resolves to what was removed (or would be, with `dryRun`).
   */
  gc(options: GcOptions = {}): Promise<GcReport> {
    this.assertOpen();
    return this.retention.gc(options);
  }

  /** The retention policy of the `default` project's config, or undefined when it has no `retention` section. */
  retentionPolicy(): Promise<RetentionPolicy | undefined> {
    return this.retention.policy();
  }

  /**
   * Earlier revisions each state document keeps: `StoreOptions.historyLimit` when given, else the
   * `default` project's `history.limit` as last read (see `refreshHistoryLimit`), else 20.
   */
  get historyLimit(): number {
    return this.explicitHistoryLimit ?? this.configuredHistoryLimit;
  }

  /**
   * Reads the `default` project's `history` section again and resolves to the limit in force. Run
   * before the first write and then at most once a second before a write; a store opened with an explicit
   * `historyLimit` keeps it. Never throws: when the config cannot be read, the limit in force stays.
   */
  async refreshHistoryLimit(): Promise<number> {
    if (this.explicitHistoryLimit !== undefined) return this.explicitHistoryLimit;
    let value: JsonObject | undefined;
    try {
      value = (await this.adapter.get(COLLECTION.config, HISTORY_PROJECT))?.value as JsonObject | undefined;
    } catch {
      // Best effort: a config record that cannot be read (a damaged store that doctor is about to
      // repair) must not stop the store from opening or a write from running; the limit in force
      // stays, and the read is tried again a second later.
      this.historyPolicyReadAt = Date.now();
      return this.historyLimit;
    }
    this.configuredHistoryLimit = historyLimitOf(value) ?? DEFAULT_HISTORY_LIMIT;
    this.historyPolicyReadAt = Date.now();
    return this.configuredHistoryLimit;
  }

  /** A named state document; `global` by default. */
  state(name = "global"): StateDocument {
    return new StateDocument(this.ctx, COLLECTION.state, validateId(name, "document name"));
  }

  /** A session's own state document (deleted with the session). */
  sessionState(sessionId: string): StateDocument {
    return new StateDocument(this.ctx, COLLECTION.sessionState, validateId(sessionId, "session id"));
  }

  /** The state documents (not sessions' own), in name order, with their revisions. */
  documents(options: ListOptionsBasic = {}): Promise<Page<DocumentInfo>> {
    return this.ctx.read("state.documents", () =>
      listPage(this.adapter, COLLECTION.state, {
        index: undefined,
        prefix: undefined,
        reverse: false,
        limit: options.limit ?? 100,
        cursor: options.cursor,
        map: (r) => ({ name: r.id, revision: r.revision }),
        position: (d) => ({ key: d.name, id: d.name }),
      }),
    );
  }

  /** Applies every operation atomically, in order; resolves to their results. */
  async batch(operations: readonly BatchOperation[], options: BatchOptions = {}): Promise<unknown[]> {
    const key = options.idempotencyKey === undefined ? undefined : checkIdempotencyKey(options.idempotencyKey);
    // Taken now: the operations are read again by every re-plan, after awaits.
    const print = key === undefined ? "" : fingerprint("batch", operations, undefined);
    for (let attempt = 1; ; attempt++) {
      const planned = await planBatch(this, operations);
      const plan = key === undefined ? planned : idempotent(planned, key, "batch", print, this.idempotencyWindowMs);
      try {
        const { result, sequence } = await this.ctx.runWithSequence("batch", plan);
        return withBatchSequence(operations, result, sequence);
      } catch (err) {
        // A session delete whose agent listing went stale (a spawn from elsewhere between the
        // listing and the commit) is planned again, as Sessions.delete does; other conflicts are
        // the caller's conditions and are reported.
        const stale = isStatehouseError(err, "E_CONFLICT") && err.details.reason === STALE_AGENT_LISTING;
        if (!stale || attempt >= 100) throw err;
        // A process spawning into the session without pause can win every round (seen on a loaded
        // machine: 20 re-plans lost in a row): after a few, back off a random few milliseconds so
        // the listing and the commit land between two of its spawns.
        if (attempt >= 3) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(20, attempt)));
      }
    }
  }

  /** Change sets after `since`, in order. */
  changes(since: number, limit?: number): Promise<ChangeSet[]> {
    return this.adapter.changes(since, limit);
  }

  sequence(): Promise<number> {
    return this.adapter.sequence();
  }

  /**
   * Committed change sets from every process, in sequence order, each once; a `reset` event when
   * `since` is older than the retained change log. See `WatchOptions`.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
    this.assertOpen();
    checkWatchOptions(options);
    return watchChanges(this.adapter, options);
  }

  /** Sessions by status, active agents and recent changes: one dashboard refresh. */
  snapshot(options: SnapshotOptions = {}): Promise<DashboardSnapshot> {
    return this.ctx.read("dashboard.snapshot", async () => {
      const sequence = await this.adapter.sequence();
      const counts = await Promise.all(SESSION_STATUSES.map((s) => this.sessions.count(s)));
      const sessionsByStatus = Object.fromEntries(SESSION_STATUSES.map((s, i) => [s, counts[i]!])) as Record<SessionStatus, number>;
      const want = options.activeAgents ?? 100;
      const activeAgents: Agent[] = [];
      for (const status of ACTIVE_AGENT_STATUSES) {
        if (activeAgents.length >= want) break;
        const page = await this.agents.list({ status, limit: want - activeAgents.length });
        activeAgents.push(...page.items);
      }
      const n = options.recentChanges ?? 20;
      const recentChanges = n > 0 ? await this.adapter.changes(Math.max(0, sequence - n), n) : [];
      return {
        at: new Date().toISOString(),
        sequence,
        sessionsByStatus,
        totalSessions: counts.reduce((a, b) => a + b, 0),
        activeAgents,
        recentChanges,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.adapter.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Throws E_CLOSED when closed; adapters check too, this only gives the domain a clearer message. */
  assertOpen(): void {
    if (this.closed) throw new ClosedError("the store is closed");
  }
}

/**
 * Opens a store by URL: `memory:`, `file:DIR`, `sqlite:FILE`, `lmdb:DIR`, or a scheme registered
 * with `registerAdapter`. Only the adapter the URL names is loaded.
 */
export async function open(url: string, options: StoreOptions = {}): Promise<Store> {
  const { config: _config, historyLimit: _historyLimit, groupCommit: _groupCommit, ...adapterOptions } = options;
  const adapter = await openAdapterUrl(url, adapterOptions);
  try {
    // The history policy is read before the first write (runWithSequence), not here: a process
    // that only reads (a CLI `state get`, every hook's cold start) never pays for it.
    return new Store(adapter, options);
  } catch (err) {
    // Refused options (E_CONFIG) must not leave the adapter, its locks and handles, open.
    await adapter.close();
    throw err;
  }
}

export type { BatchOperation };
