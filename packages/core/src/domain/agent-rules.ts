import { ConflictError, ValidationError } from "../errors.js";
import type { JsonObject } from "../json/types.js";
import type { IndexKeys, StorageAdapter, TxContext } from "../spi/types.js";
import { AGENT_INDEX, COLLECTION, SEP } from "./collections.js";
import { ACTIVE_AGENT_STATUSES, type Agent, type AgentStatus, type Condition, type FinalSessionStatus } from "./types.js";

/**
 * The domain rules that tie agents to their sessions and projects (issue 14): the per-project
 * limit of concurrent agents, ending a session's agents with it, and stale heartbeats.
 */

/** Collection of one record per project: the agents spawned into its sessions that may still be active. */
export const PROJECT_AGENTS = "project-agents";

type AgentData = Omit<Agent, "revision" | "stale">;
type SessionLike = { readonly id: string; readonly status: string; readonly project?: string; readonly agentCount: number };

/** The index entries of an agent record. */
export function agentIndexKeys(a: AgentData): Record<string, string> {
  return {
    [AGENT_INDEX.session]: `${a.sessionId}${SEP}${a.createdAt}`,
    [AGENT_INDEX.sessionStatus]: `${a.sessionId}${SEP}${a.status}${SEP}${a.createdAt}`,
    [AGENT_INDEX.status]: `${a.status}${SEP}${a.createdAt}`,
  };
}

/** Writes an agent record with its index entries. */
export function putAgent(tx: TxContext, a: AgentData, condition?: Condition): number {
  return tx.put(COLLECTION.agents, a.id, a as unknown as JsonObject, { ...condition, index: agentIndexKeys(a) as IndexKeys });
}

export function isActiveAgent(status: unknown): boolean {
  return ACTIVE_AGENT_STATUSES.includes(status as AgentStatus);
}

function configOf(tx: TxContext, project: string): { maxConcurrentAgents?: unknown } | undefined {
  const r = tx.get(COLLECTION.config, project);
  return r?.value !== null && typeof r?.value === "object" ? (r.value as { maxConcurrentAgents?: unknown }) : undefined;
}

/**
 * Registers an agent spawned active into a project's session, refusing it when the project's
 * `maxConcurrentAgents` is reached. Runs inside the spawn's transaction, so it holds across
 * processes. The record is pruned here of agents that ended or were deleted, so nothing else has to
 * keep it exact: ending, reaping or deleting an agent frees its slot at the next spawn.
 */
export function takeAgentSlot(tx: TxContext, project: string, agentId: string, sessionId: string): void {
  const r = tx.get(PROJECT_AGENTS, project);
  const listed = ((r?.value as { agents?: Record<string, string> } | undefined)?.agents ?? {}) as Record<string, string>;
  const live: Record<string, string> = {};
  let active = 0;
  for (const [id, sid] of Object.entries(listed)) {
    if (isActiveAgent((tx.get(COLLECTION.agents, id)?.value as { status?: unknown } | undefined)?.status)) {
      live[id] = sid;
      active++;
    }
  }
  const limit = configOf(tx, project)?.maxConcurrentAgents;
  if (typeof limit === "number" && active >= limit) {
    throw new ConflictError(
      `project "${project}" allows at most ${limit} concurrent agents (maxConcurrentAgents), and ${active} are active; end or reap one first`,
      {
        details: {
          project,
          limit: "maxConcurrentAgents",
          maxConcurrentAgents: limit,
          active,
          collection: PROJECT_AGENTS,
          id: project,
          currentRevision: r?.revision ?? 0,
        },
      },
    );
  }
  live[agentId] = sessionId;
  tx.put(PROJECT_AGENTS, project, { agents: live } as JsonObject);
}

/** The status an agent takes when its session ends with `status`. */
export function agentEndStatus(status: FinalSessionStatus): AgentStatus {
  return status === "completed" ? "completed" : status;
}

/** What `agentsOf` saw before the transaction: the session's agent count and its agents' ids. */
export interface SessionAgents {
  readonly agentCount: number;
  readonly ids: readonly string[];
}

/** Lists a session's agents outside a transaction, with the session's agent count read first. */
export async function agentsOf(
  adapter: StorageAdapter,
  sessionId: string,
  list: (id: string) => Promise<string[]>,
): Promise<SessionAgents | undefined> {
  const s = await adapter.get(COLLECTION.sessions, sessionId);
  if (s === undefined) return undefined;
  const agentCount = (s.value as { agentCount?: number }).agentCount ?? 0;
  return { agentCount, ids: await list(sessionId) };
}

/** The error that makes `Sessions.end` list the session's agents again: one was spawned meanwhile. */
export function agentsChanged(sessionId: string, revision: number): ConflictError {
  return new ConflictError(`session "${sessionId}" gained an agent while it was being ended; try again`, {
    details: { collection: COLLECTION.sessions, id: sessionId, currentRevision: revision, agentsChanged: true },
  });
}

/**
 * Ends the session's active agents inside the transaction that ends the session. Every spawn
 * raises the session's `agentCount`, so an unchanged count proves the listing taken before the
 * transaction holds every agent; a changed one throws `agentsChanged` and the caller lists again.
 */
export function endAgents(
  tx: TxContext,
  session: SessionLike,
  revision: number,
  seen: SessionAgents,
  status: FinalSessionStatus,
  now: string,
): void {
  if (session.agentCount !== seen.agentCount) throw agentsChanged(session.id, revision);
  const next = agentEndStatus(status);
  for (const id of seen.ids) {
    const r = tx.get(COLLECTION.agents, id);
    const a = r?.value as AgentData | undefined;
    if (a === undefined || a.sessionId !== session.id || !isActiveAgent(a.status)) continue;
    putAgent(tx, { ...a, status: next, updatedAt: now });
  }
}

/** Refuses to make an agent active (heartbeat, update) when its session has ended or is gone. */
export function requireLiveSession(tx: TxContext, agent: AgentData, what: string): SessionLike {
  const r = tx.get(COLLECTION.sessions, agent.sessionId);
  const session = r?.value as SessionLike | undefined;
  if (session === undefined || session.status !== "active") {
    const status = session?.status ?? "deleted";
    throw new ValidationError(`agent "${agent.id}" belongs to session "${agent.sessionId}", which has ended (${status}): ${what}`, {
      details: { issues: ["session not active"], agent: agent.id, session: agent.sessionId, status },
    });
  }
  return session;
}

/** Options of `Agents.reap`, and of stale detection. */
export interface StaleOptions {
  /** Judge staleness at this time (ISO 8601 or epoch ms). Default: now. */
  now?: string | number;
}

/**
 * Marks active agents whose last sign of life (heartbeat, else creation) is older than their
 * project's `heartbeatTimeoutSeconds` with `stale: true` (others are returned as they are, without
 * the field, so a fresh agent reads the same as the record its spawn returned). Agents of a
 * session without a project, or of a project without the setting, are never stale. Reads each
 * distinct session and project config once per call.
 */
export async function markStale(adapter: StorageAdapter, agents: readonly Agent[], options: StaleOptions = {}): Promise<Agent[]> {
  const now = options.now === undefined ? Date.now() : typeof options.now === "number" ? options.now : Date.parse(options.now);
  const projects = new Map<string, Promise<string | undefined>>();
  const timeouts = new Map<string, Promise<number | undefined>>();
  const projectOf = (sid: string) => {
    let p = projects.get(sid);
    if (p === undefined) {
      p = adapter.get(COLLECTION.sessions, sid).then((r) => (r?.value as { project?: string } | undefined)?.project);
      projects.set(sid, p);
    }
    return p;
  };
  const timeoutOf = (project: string) => {
    let t = timeouts.get(project);
    if (t === undefined) {
      t = adapter.get(COLLECTION.config, project).then((r) => {
        const v = (r?.value as { heartbeatTimeoutSeconds?: unknown } | undefined)?.heartbeatTimeoutSeconds;
        return typeof v === "number" && v > 0 ? v : undefined;
      });
      timeouts.set(project, t);
    }
    return t;
  };
  return Promise.all(
    agents.map(async (a) => {
      if (!isActiveAgent(a.status)) return a;
      const project = await projectOf(a.sessionId);
      const timeout = project === undefined ? undefined : await timeoutOf(project);
      const last = Date.parse(a.heartbeatAt ?? a.createdAt);
      return timeout !== undefined && now - last > timeout * 1000 ? { ...a, stale: true } : a;
    }),
  );
}
