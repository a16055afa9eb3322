import {
  ACTIVE_AGENT_STATUSES,
  AGENT_STATUSES,
  type Agent,
  type AgentStatus,
  type ChangeSet,
  type DocumentSnapshot,
  type Session,
  type SessionStatus,
  type Store,
} from "@statehouse/core";
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

/** One session's page: the session, its agents and its state document. */
export interface SessionDetail {
  readonly session: Session;
  readonly agents: readonly Agent[];
  /** More agents than `agents` holds exist. */
  readonly moreAgents: boolean;
  readonly state: DocumentSnapshot;
}

const WINDOW = 50;
/** Rows each list may be given at most: the tallest sensible terminal. */
const MAX_ROWS = 500;
/** Active agents examined to find those of active sessions: bounds a refresh over a store full of leftovers. */
const AGENT_SCAN = 5_000;
/** Agents shown on a session's page. */
const SESSION_AGENTS = 200;
/** Up to this many active sessions are listed once per refresh rather than looked up one by one. */
const ACTIVE_LISTING = 10_000;
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

  /**
   * Agents not yet finished whose session is active, newest first by status, at most `want`. An
   * agent whose session ended without it reporting (a crashed worker) stays `running` in the store
   * forever; the dashboard shows what is live, so it leaves those out.
   */
  private async liveAgents(want: number, activeSessions: number): Promise<Agent[]> {
    // Whether a session is active: from one listing of the active sessions when there are few
    // enough, else looked up per session and remembered.
    const sessionActive = new Map<string, boolean>();
    const listed = activeSessions <= ACTIVE_LISTING;
    if (listed) {
      let cursor: string | undefined;
      do {
        const page = await this.store.sessions.list({ status: "active", limit: 1000, ...(cursor !== undefined && { cursor }) });
        for (const s of page.items) sessionActive.set(s.id, true);
        cursor = page.cursor;
      } while (cursor !== undefined && sessionActive.size < ACTIVE_LISTING);
    }
    const out: Agent[] = [];
    let scanned = 0;
    for (const status of ACTIVE_AGENT_STATUSES) {
      let cursor: string | undefined;
      do {
        // Newest first: agents of live sessions are mostly newer than leftovers, so the scan stops early.
        const page = await this.store.agents.list({ status, direction: "desc", limit: 100, ...(cursor !== undefined && { cursor }) });
        scanned += page.items.length;
        for (const a of page.items) {
          let active = sessionActive.get(a.sessionId) ?? (listed ? false : undefined);
          if (active === undefined) {
            active = (await this.store.sessions.find(a.sessionId))?.status === "active";
            sessionActive.set(a.sessionId, active);
          }
          if (active) out.push(a);
          if (out.length >= want) return out;
        }
        cursor = page.cursor;
      } while (cursor !== undefined && scanned < AGENT_SCAN);
    }
    return out;
  }

  /** A session's page; undefined when the session no longer exists. */
  async session(id: string): Promise<SessionDetail | undefined> {
    const session = await this.store.sessions.find(id);
    if (session === undefined) return undefined;
    const [agents, state] = await Promise.all([
      this.store.agents.list({ sessionId: id, limit: SESSION_AGENTS }),
      this.store.sessionState(id).read(),
    ]);
    return { session, agents: agents.items, moreAgents: agents.cursor !== undefined, state };
  }

  /** Reads one frame's data; `rows` is how many lines a list may fill (the terminal's height). */
  async refresh(rows = 12): Promise<DashboardData> {
    const t0 = performance.now();
    const store = this.store;
    const n = Math.min(MAX_ROWS, Math.max(5, rows));
    const snap = await this.timed(this.sessionMs, () => store.snapshot({ recentChanges: n, activeAgents: 0 }));
    const recent = await this.timed(this.sessionMs, () => store.sessions.list({ limit: n }));
    const activeAgents = await this.liveAgents(n, snap.sessionsByStatus.active);
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
    if (scanned < agentsByStatus.failed && scanned > 0)
      failedBeforeHeartbeat = Math.round((failedBeforeHeartbeat * agentsByStatus.failed) / scanned);
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
      activeAgents,
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
