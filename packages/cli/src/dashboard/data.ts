import { AGENT_STATUSES, type Agent, type AgentStatus, type ChangeSet, type Session, type SessionStatus, type Store } from "@statehouse/core";
import { type Kpi, computeKpis } from "./kpis.js";

/** Everything one dashboard frame shows. */
export interface DashboardData {
  readonly store: string;
  readonly at: string;
  readonly sequence: number;
  readonly sessionsByStatus: Readonly<Record<SessionStatus, number>>;
  readonly totalSessions: number;
  readonly recentSessions: readonly Session[];
  readonly agentsByStatus: Readonly<Record<AgentStatus, number>>;
  readonly activeAgents: readonly Agent[];
  readonly recentChanges: readonly ChangeSet[];
  readonly kpis: readonly Kpi[];
}

const WINDOW = 50;
/** Failed agents examined for "failed before their first heartbeat"; beyond it the KPI uses this sample. */
const FAILED_SCAN = 10_000;

/** Reads the store for the dashboard and keeps the timings its KPIs are computed from. */
export class DashboardSource {
  private readonly queryMs: number[] = [];
  private readonly sessionMs: number[] = [];
  private lastRefreshMs: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly url: string,
  ) {}

  /** The change sequence: one cheap read, polled to decide whether to refresh. */
  sequence(): Promise<number> {
    return this.store.sequence();
  }

  private async timed<T>(into: number[], fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      into.push(performance.now() - t0);
      if (into.length > WINDOW) into.shift();
    }
  }

  async refresh(): Promise<DashboardData> {
    const t0 = performance.now();
    const store = this.store;
    const snap = await this.timed(this.sessionMs, () => store.snapshot({ recentChanges: 12, activeAgents: 50 }));
    const recent = await this.timed(this.sessionMs, () => store.sessions.list({ limit: 5 }));
    // The probe: the read a hook makes most, `statehouse state get`.
    await this.timed(this.queryMs, () => store.state("global").get(""));
    const counts = await Promise.all(AGENT_STATUSES.map((s) => store.agents.count(s)));
    const agentsByStatus = Object.fromEntries(AGENT_STATUSES.map((s, i) => [s, counts[i]!])) as Record<AgentStatus, number>;
    let failedBeforeHeartbeat = 0;
    let cursor: string | undefined;
    let scanned = 0;
    do {
      const page = await store.agents.list({ status: "failed", limit: 1000, ...(cursor !== undefined && { cursor }) });
      for (const a of page.items) if (a.heartbeatAt === null) failedBeforeHeartbeat++;
      scanned += page.items.length;
      cursor = page.cursor;
    } while (cursor !== undefined && scanned < FAILED_SCAN);
    if (scanned < agentsByStatus.failed && scanned > 0) failedBeforeHeartbeat = Math.round((failedBeforeHeartbeat * agentsByStatus.failed) / scanned);
    this.lastRefreshMs = performance.now() - t0;
    let operations = 0;
    let failed = 0;
    for (const s of Object.values(store.metrics.snapshot())) {
      operations += s.count;
      failed += s.errors;
    }
    return {
      store: this.url,
      at: snap.at,
      sequence: snap.sequence,
      sessionsByStatus: snap.sessionsByStatus,
      totalSessions: snap.totalSessions,
      recentSessions: recent.items,
      agentsByStatus,
      activeAgents: snap.activeAgents,
      recentChanges: snap.recentChanges,
      kpis: computeKpis({
        queryMs: this.queryMs,
        sessionMs: this.sessionMs,
        operations,
        failedOperations: failed,
        sessionsByStatus: snap.sessionsByStatus,
        agentsByStatus,
        failedBeforeHeartbeat,
        refreshMs: this.lastRefreshMs,
      }),
    };
  }
}
