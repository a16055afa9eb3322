import { NotFoundError, ValidationError } from "../errors.js";
import { mergePatch } from "../json/index.js";
import type { JsonObject } from "../json/types.js";
import type { StoredRecord, TxContext } from "../spi/types.js";
import { checkCondition } from "../spi/tx-buffer.js";
import { validateId } from "../validation.js";
import { type StaleOptions, agentIndexKeys, isActiveAgent, markStale, putAgent, requireLiveSession, takeAgentSlot } from "./agent-rules.js";
import { AGENT_INDEX, COLLECTION, SEP, newId } from "./collections.js";
import { ownCondition } from "./condition.js";
import { type DomainContext, type Plan, findRecord, found, own, snapshot } from "./context.js";
import { listPage } from "./paging.js";
import { assertStatus, putSession, recordSpawn, requireSession } from "./sessions.js";
import type { AgentsApi } from "./store-api.js";
import {
  ACTIVE_AGENT_STATUSES,
  AGENT_STATUSES,
  type Agent,
  type AgentListOptions,
  type AgentSpawnOptions,
  type AgentUpdate,
  type Condition,
  type Page,
} from "./types.js";

type AgentData = Omit<Agent, "revision" | "stale">;

function toAgent(r: StoredRecord): Agent {
  return { ...(r.value as unknown as AgentData), revision: r.revision };
}

export { agentIndexKeys } from "./agent-rules.js";

function checkRole(role: unknown): asserts role is string {
  if (typeof role !== "string" || role.length === 0 || role.length > 200) {
    throw new ValidationError("an agent role is a string of 1 to 200 characters", { details: { issues: ["bad role"] } });
  }
}

function checkPid(pid: unknown): void {
  if (pid !== null && pid !== undefined && !(Number.isSafeInteger(pid) && (pid as number) >= 0)) {
    throw new ValidationError(`pid must be a non-negative integer or null, got ${JSON.stringify(pid)}`, {
      details: { issues: ["bad pid"] },
    });
  }
}

function checkMetadata(m: unknown): void {
  if (m !== undefined && (typeof m !== "object" || m === null || Array.isArray(m))) {
    throw new ValidationError("metadata must be a JSON object", { details: { issues: ["metadata is not an object"] } });
  }
}

/** Agents: spawned into a session, listed by session and status, updated, heart-beating. */
export class Agents implements AgentsApi {
  constructor(private readonly ctx: DomainContext) {}

  spawn(sessionId: string, options: AgentSpawnOptions, condition?: Pick<Condition, "idempotencyKey">): Promise<Agent> {
    condition = ownCondition(condition);
    return this.ctx.run("agent.spawn", this.planSpawn(sessionId, options), condition, [sessionId, options]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planSpawn(sessionId: string, input: AgentSpawnOptions): Plan<Agent> {
    const options = snapshot(input);
    validateId(sessionId, "session id");
    const id = options.id === undefined ? newId("agt") : validateId(options.id, "agent id");
    checkRole(options.role);
    checkPid(options.pid);
    checkMetadata(options.metadata);
    if (options.status !== undefined) assertStatus(options.status, AGENT_STATUSES, "agent status");
    const metadata = own(options.metadata ?? {}, this.ctx.limits);
    return (tx, now) => {
      const session = requireSession(tx, sessionId);
      if (session.data.status !== "active") {
        throw new ValidationError(`session "${sessionId}" has ended (${session.data.status}); no agent can be spawned into it`, {
          details: { issues: ["session not active"], status: session.data.status },
        });
      }
      const a: AgentData = {
        id,
        sessionId,
        role: options.role,
        status: options.status ?? "spawning",
        pid: options.pid ?? null,
        createdAt: now,
        updatedAt: now,
        heartbeatAt: null,
        metadata,
      };
      // Counted against the project's maxConcurrentAgents in this same transaction: exact across processes.
      if (session.data.project !== undefined && isActiveAgent(a.status)) takeAgentSlot(tx, session.data.project, id, sessionId);
      const revision = putAgent(tx, a, { ifAbsent: true });
      // Touching the session makes a concurrent session delete conflict and re-list its agents.
      putSession(tx, { ...session.data, agentCount: session.data.agentCount + 1, updatedAt: now });
      recordSpawn(tx, sessionId, id);
      return { ...a, revision };
    };
  }

  async get(id: string): Promise<Agent> {
    return found(await this.find(id), `agent "${id}" does not exist`, { agent: id });
  }

  async find(id: string): Promise<Agent | undefined> {
    const a = await findRecord(this.ctx, "agent.get", COLLECTION.agents, id, "agent id", toAgent);
    return a === undefined ? undefined : (await markStale(this.ctx.adapter, [a]))[0];
  }

  list(options: AgentListOptions = {}): Promise<Page<Agent>> {
    if (options.sessionId !== undefined) validateId(options.sessionId, "session id");
    if (options.status !== undefined) assertStatus(options.status, AGENT_STATUSES, "agent status");
    // Unfiltered listings go by id, which is time-ordered for generated ids.
    let index: string | undefined;
    let prefix: string | undefined;
    if (options.sessionId !== undefined && options.status !== undefined) {
      index = AGENT_INDEX.sessionStatus;
      prefix = `${options.sessionId}${SEP}${options.status}${SEP}`;
    } else if (options.sessionId !== undefined) {
      index = AGENT_INDEX.session;
      prefix = `${options.sessionId}${SEP}`;
    } else if (options.status !== undefined) {
      index = AGENT_INDEX.status;
      prefix = `${options.status}${SEP}`;
    }
    return this.ctx.read("agent.list", async () => {
      const page = await listPage(this.ctx.adapter, COLLECTION.agents, {
        index,
        prefix,
        reverse: options.direction === "desc",
        limit: options.limit ?? 50,
        cursor: options.cursor,
        map: toAgent,
        position: (a) => ({ key: index === undefined ? a.id : (agentIndexKeys(a)[index] ?? ""), id: a.id }),
      });
      return { ...page, items: await markStale(this.ctx.adapter, page.items) };
    });
  }

  /** Counts agents, optionally of one status. */
  count(status?: Agent["status"]): Promise<number> {
    if (status !== undefined) assertStatus(status, AGENT_STATUSES, "agent status");
    return this.ctx.read("agent.count", () =>
      this.ctx.adapter.count(COLLECTION.agents, { index: AGENT_INDEX.status, ...(status !== undefined && { prefix: `${status}${SEP}` }) }),
    );
  }

  update(id: string, changes: AgentUpdate, condition?: Condition): Promise<Agent> {
    condition = ownCondition(condition);
    return this.ctx.run("agent.update", this.planUpdate(id, changes, condition), condition, [id, changes]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planUpdate(id: string, update: AgentUpdate, condition?: Condition): Plan<Agent> {
    condition = ownCondition(condition);
    const changes = snapshot(update);
    validateId(id, "agent id");
    if (changes.role !== undefined) checkRole(changes.role);
    if (changes.status !== undefined) assertStatus(changes.status, AGENT_STATUSES, "agent status");
    checkPid(changes.pid);
    checkMetadata(changes.metadata);
    const metaPatch = changes.metadata === undefined ? undefined : own(changes.metadata, this.ctx.limits);
    return (tx, now) => {
      const { data, revision } = this.require(tx, id);
      checkCondition(COLLECTION.agents, id, revision, condition);
      if (changes.status !== undefined && isActiveAgent(changes.status)) {
        const session = requireLiveSession(tx, data, `it cannot become ${changes.status}`);
        // An ended agent made active again takes a slot like a spawn (and is refused like one).
        if (!isActiveAgent(data.status) && session.project !== undefined) takeAgentSlot(tx, session.project, id, data.sessionId);
      }
      const next: AgentData = {
        ...data,
        ...(changes.role !== undefined && { role: changes.role }),
        ...(changes.status !== undefined && { status: changes.status }),
        ...(changes.pid !== undefined && { pid: changes.pid }),
        ...(metaPatch !== undefined && { metadata: mergePatch(data.metadata, metaPatch) as JsonObject }),
        updatedAt: now,
      };
      return { ...next, revision: putAgent(tx, next) };
    };
  }

  /**
   * Deletes an agent record; E_NOT_FOUND if there is none. Its slot under the project's
   * `maxConcurrentAgents` is freed (the next spawn prunes it); its session keeps its agentCount,
   * which counts spawns.
   */
  delete(id: string, condition?: Condition): Promise<boolean> {
    condition = ownCondition(condition);
    return this.ctx.run("agent.delete", this.planDelete(id, condition), condition, [id]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planDelete(id: string, condition?: Condition): Plan<boolean> {
    condition = ownCondition(condition);
    validateId(id, "agent id");
    return (tx) => {
      if (!tx.delete(COLLECTION.agents, id, condition ?? {}))
        throw new NotFoundError(`agent "${id}" does not exist`, { details: { agent: id } });
      return true;
    };
  }

  /** Records that the agent is alive now; a spawning agent becomes running. */
  heartbeat(id: string, condition?: Condition): Promise<Agent> {
    condition = ownCondition(condition);
    return this.ctx.run("agent.heartbeat", this.planHeartbeat(id, condition), condition, [id]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planHeartbeat(id: string, condition?: Condition): Plan<Agent> {
    condition = ownCondition(condition);
    validateId(id, "agent id");
    return (tx, now) => {
      const { data, revision } = this.require(tx, id);
      checkCondition(COLLECTION.agents, id, revision, condition);
      requireLiveSession(tx, data, "a heartbeat cannot revive it");
      const next: AgentData = { ...data, heartbeatAt: now, updatedAt: now, status: data.status === "spawning" ? "running" : data.status };
      return { ...next, revision: putAgent(tx, next) };
    };
  }

  /**
   * Marks every stale agent (see `Agent.stale`) `failed`, optionally only in one session; resolves
   * to the agents it marked. Each is re-checked in its own transaction: an agent that heart-beat
   * meanwhile is left alone.
   */
  async reap(options: StaleOptions & { sessionId?: string } = {}): Promise<Agent[]> {
    if (options.sessionId !== undefined) validateId(options.sessionId, "session id");
    const reaped: Agent[] = [];
    for (const status of ACTIVE_AGENT_STATUSES) {
      let cursor: string | undefined;
      const stale: Agent[] = [];
      do {
        const page = await this.list({
          status,
          limit: 1_000,
          ...(options.sessionId !== undefined && { sessionId: options.sessionId }),
          ...(cursor !== undefined && { cursor }),
        });
        const marked = options.now === undefined ? page.items : await markStale(this.ctx.adapter, page.items, options);
        stale.push(...marked.filter((a) => a.stale === true));
        cursor = page.cursor;
      } while (cursor !== undefined);
      for (const a of stale) {
        const { stale: _stale, revision, ...data } = a;
        try {
          reaped.push(
            await this.ctx.run("agent.reap", (tx, now) => {
              checkCondition(COLLECTION.agents, a.id, this.require(tx, a.id).revision, { ifRevision: revision });
              const next: AgentData = { ...data, status: "failed", updatedAt: now };
              return { ...next, revision: putAgent(tx, next) };
            }),
          );
        } catch (err) {
          // Changed since it was listed (a heartbeat, an update, a delete): no longer this reap's to mark.
          const code = (err as { code?: string }).code;
          if (code !== "E_CONFLICT" && code !== "E_NOT_FOUND") throw err;
        }
      }
    }
    return reaped;
  }

  private require(tx: TxContext, id: string): { data: AgentData; revision: number } {
    const r = tx.get(COLLECTION.agents, id);
    if (r === undefined) throw new NotFoundError(`agent "${id}" does not exist`, { details: { agent: id } });
    return { data: r.value as unknown as AgentData, revision: r.revision };
  }
}
