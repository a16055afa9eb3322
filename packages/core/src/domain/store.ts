import { ClosedError, isStatehouseError } from "../errors.js";
import { openAdapterUrl } from "../spi/registry.js";
import type { AdapterOptions, ChangeSet, StorageAdapter } from "../spi/types.js";
import { type ValueLimits, resolveLimits, validateId } from "../validation.js";
import { Agents } from "./agents.js";
import { Alerts } from "./alerts.js";
import { type BatchOperation, planBatch } from "./batch.js";
import { C, nowIso } from "./collections.js";
import { type ConfigSchemaOptions, ProjectConfigs } from "./config.js";
import type { DomainContext, Plan } from "./context.js";
import { Metrics } from "./metrics.js";
import { STALE_AGENT_LISTING, Sessions } from "./sessions.js";
import { StateDocument } from "./state-document.js";
import { Leases, checkFence, fenced } from "./leases.js";
import type { StoreApi } from "./store-api.js";
import { Tools } from "./tools.js";
import { type WatchEvent, type WatchOptions, checkWatchOptions, watchChanges } from "./watch.js";
import { ACTIVE_AGENT_STATUSES, type Agent, SESSION_STATUSES, type SessionStatus } from "./types.js";

/** Options of `open()`: the adapter's, plus the domain's. */
export interface StoreOptions extends AdapterOptions {
  /** Validation of project configs. Default: the built-in schema only. */
  config?: ConfigSchemaOptions;
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

function withSequence<T>(result: T, sequence: number | undefined): T {
  if (result !== null && typeof result === "object" && "sequence" in result && (result as { sequence?: unknown }).sequence === undefined) {
    return { ...result, sequence };
  }
  return result;
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
  readonly metrics = new Metrics();
  readonly limits: ValueLimits;
  private readonly ctx: DomainContext;
  private closed = false;

  constructor(
    readonly adapter: StorageAdapter,
    options: StoreOptions = {},
  ) {
    this.limits = resolveLimits(options.limits);
    const metrics = this.metrics;
    const runWithSequence = async <T>(kind: string, plan: Plan<T>) => {
      const t0 = process.hrtime.bigint();
      try {
        const r = await adapter.transact((tx) => plan(tx, nowIso()));
        metrics.record(kind, elapsedMs(t0), true);
        return r;
      } catch (err) {
        metrics.record(kind, elapsedMs(t0), false);
        throw err;
      }
    };
    this.ctx = {
      adapter,
      limits: this.limits,
      metrics,
      runWithSequence,
      run: async <T>(kind: string, plan: Plan<T>, condition?: { ifLease?: { name: string; token: number } }): Promise<T> => {
        const fence = condition?.ifLease === undefined ? undefined : checkFence(condition.ifLease);
        const { result, sequence } = await runWithSequence(kind, fence === undefined ? plan : fenced(plan, fence));
        return withSequence(result, sequence);
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
  }

  /** A named state document; `global` by default. */
  state(name = "global"): StateDocument {
    return new StateDocument(this.ctx, C.state, validateId(name, "document name"));
  }

  /** A session's own state document (deleted with the session). */
  sessionState(sessionId: string): StateDocument {
    return new StateDocument(this.ctx, C.sessionState, validateId(sessionId, "session id"));
  }

  /** Applies every operation atomically, in order; resolves to their results. */
  async batch(operations: readonly BatchOperation[]): Promise<unknown[]> {
    for (let attempt = 1; ; attempt++) {
      const plan = await planBatch(this, operations);
      try {
        const { result, sequence } = await this.ctx.runWithSequence("batch", plan);
        return result.map((r) => withSequence(r, sequence));
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
  const { config: _config, ...adapterOptions } = options;
  return new Store(await openAdapterUrl(url, adapterOptions), options);
}

export type { BatchOperation };
