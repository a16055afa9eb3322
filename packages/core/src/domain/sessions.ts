import { ConflictError, NotFoundError, ValidationError, isStatehouseError } from "../errors.js";
import { mergePatch } from "../json/index.js";
import type { JsonObject } from "../json/types.js";
import type { IndexKeys, StorageAdapter, StoredRecord, TxContext } from "../spi/types.js";
import { checkCondition } from "../spi/tx-buffer.js";
import { validateId } from "../validation.js";
import { type SessionAgents, agentsOf, endAgents } from "./agent-rules.js";
import { COLLECTION, SEP, SESSION_INDEX, newId } from "./collections.js";
import { ownCondition } from "./condition.js";
import { type DomainContext, type Plan, type Written, findRecord, found, own, ownFrozen, snapshot } from "./context.js";
import { knownDepth, markComposed } from "../spi/owned-values.js";
import { deleteHistory } from "./history.js";
import { listPage } from "./paging.js";
import type { SessionsApi } from "./store-api.js";
import {
  type Condition,
  FINAL_SESSION_STATUSES,
  type FinalSessionStatus,
  type Page,
  SESSION_STATUSES,
  type Session,
  type SessionCreateOptions,
  type SessionListOptions,
  type SessionStatus,
  type SessionUpdate,
  type WriteResult,
} from "./types.js";

type SessionData = Omit<Session, "revision">;

export function toSession(r: StoredRecord): Session {
  return { ...(r.value as unknown as SessionData), revision: r.revision };
}

/** The index entries of a session record. */
export function sessionIndexKeys(s: SessionData): IndexKeys {
  const keys: Record<string, string> = {
    [SESSION_INDEX.created]: s.createdAt,
    [SESSION_INDEX.updated]: s.updatedAt,
    [SESSION_INDEX.statusCreated]: `${s.status}${SEP}${s.createdAt}`,
    [SESSION_INDEX.statusUpdated]: `${s.status}${SEP}${s.updatedAt}`,
  };
  if (s.project !== undefined) {
    keys[SESSION_INDEX.projectCreated] = `${s.project}${SEP}${s.createdAt}`;
    keys[SESSION_INDEX.projectUpdated] = `${s.project}${SEP}${s.updatedAt}`;
  }
  return keys;
}

export function assertStatus(status: unknown, allowed: readonly string[], what: string): void {
  if (typeof status !== "string" || !allowed.includes(status)) {
    throw new ValidationError(`${what} must be one of ${allowed.join(", ")}, got ${JSON.stringify(status)}`, {
      details: { issues: [`${what} not in ${allowed.join("|")}`] },
    });
  }
}

function assertObject(value: unknown, what: string): asserts value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError(`${what} must be a JSON object`, { details: { issues: [`${what} is not an object`] } });
  }
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > 500) {
    throw new ValidationError("a session name is a string of 1 to 500 characters", { details: { issues: ["bad name"] } });
  }
}

function sessionIndexKey(s: Session, index: string): string {
  return sessionIndexKeys(s)[index] ?? "";
}

/** Writes a session record with its index entries. */
export function putSession(tx: TxContext, s: SessionData, condition?: Condition): number {
  return tx.put(COLLECTION.sessions, s.id, s as unknown as JsonObject, { ...condition, index: sessionIndexKeys(s) });
}

/** Reads a session inside a transaction, or throws E_NOT_FOUND. */
export function requireSession(tx: TxContext, id: string): { data: SessionData; revision: number } {
  const r = tx.get(COLLECTION.sessions, validateId(id, "session id"));
  if (r === undefined) throw new NotFoundError(`session "${id}" does not exist`, { details: { session: id } });
  return { data: r.value as unknown as SessionData, revision: r.revision };
}

/**
 * What a session delete planned outside the transaction knows: the agents it listed and the
 * session's agent count when it listed them.
 */
export interface AgentListing {
  readonly agentIds: readonly string[];
  readonly agentCount: number;
}

/** Agents spawned by each transaction, per session: a batch may spawn and then delete. */
const spawnedInTx = new WeakMap<TxContext, Map<string, string[]>>();

/** Called by a spawn at commit, so that a session delete later in the same batch deletes the agent too. */
export function recordSpawn(tx: TxContext, sessionId: string, agentId: string): void {
  let bySession = spawnedInTx.get(tx);
  if (bySession === undefined) spawnedInTx.set(tx, (bySession = new Map()));
  const ids = bySession.get(sessionId);
  if (ids === undefined) bySession.set(sessionId, [agentId]);
  else ids.push(agentId);
}

/** The `details.reason` of the conflict a stale agent listing raises: the delete is re-planned. */
export const STALE_AGENT_LISTING = "agents changed since listed";

/** Sessions: create, read, list (filtered, ordered, paged), update, end, delete. */
export class Sessions implements SessionsApi {
  constructor(private readonly ctx: DomainContext) {}

  create(options: SessionCreateOptions = {}, condition?: Condition): Promise<Session> {
    condition = ownCondition(condition);
    return this.ctx.run("session.create", this.planCreate(options, condition), condition, [options]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planCreate(input: SessionCreateOptions = {}, condition?: Condition): Plan<Session> {
    condition = ownCondition(condition);
    const options = snapshot(input);
    const id = options.id === undefined ? newId("ses") : validateId(options.id, "session id");
    if (options.name !== undefined) assertName(options.name);
    if (options.project !== undefined) validateId(options.project, "project");
    if (options.metadata !== undefined) assertObject(options.metadata, "metadata");
    // Frozen with its text known, as every stored value is: the session record built around it
    // below is then serialised without another walk (see markComposed).
    const metadata = ownFrozen(options.metadata ?? {}, this.ctx.limits);
    const depth = 1 + (knownDepth(metadata) ?? 1);
    return (tx, now) => {
      const data: SessionData = {
        id,
        name: options.name ?? id,
        status: "active",
        ...(options.project !== undefined && { project: options.project }),
        createdAt: now,
        updatedAt: now,
        agentCount: 0,
        metadata,
      };
      // Strings checked above, numbers and the checked metadata: composed of checked parts.
      markComposed(data, depth);
      // Creating never overwrites an existing session unless the caller passed a condition saying so.
      const revision = putSession(tx, data, condition ?? { ifAbsent: true });
      return { ...data, revision };
    };
  }

  /** The session, or E_NOT_FOUND. */
  async get(id: string): Promise<Session> {
    return found(await this.find(id), `session "${id}" does not exist`, { session: id });
  }

  /** The session, or undefined. */
  find(id: string): Promise<Session | undefined> {
    return findRecord(this.ctx, "session.get", COLLECTION.sessions, id, "session id", toSession);
  }

  list(options: SessionListOptions = {}): Promise<Page<Session>> {
    if (options.status !== undefined) assertStatus(options.status, SESSION_STATUSES, "status");
    if (options.project !== undefined) validateId(options.project, "project");
    const byUpdated = options.orderBy === "updatedAt";
    if (options.orderBy !== undefined && options.orderBy !== "createdAt" && !byUpdated) {
      throw new ValidationError(`orderBy must be createdAt or updatedAt, got ${JSON.stringify(options.orderBy)}`, {
        details: { issues: ["bad orderBy"] },
      });
    }
    let index: string;
    let prefix: string | undefined;
    if (options.project !== undefined) {
      index = byUpdated ? SESSION_INDEX.projectUpdated : SESSION_INDEX.projectCreated;
      prefix = `${options.project}${SEP}`;
    } else if (options.status !== undefined) {
      index = byUpdated ? SESSION_INDEX.statusUpdated : SESSION_INDEX.statusCreated;
      prefix = `${options.status}${SEP}`;
    } else {
      index = byUpdated ? SESSION_INDEX.updated : SESSION_INDEX.created;
    }
    // With both filters the project index narrows and the status is checked per record.
    const status = options.project !== undefined ? options.status : undefined;
    return this.ctx.read("session.list", () =>
      listPage(this.ctx.adapter, COLLECTION.sessions, {
        index,
        prefix,
        reverse: options.direction !== "asc",
        limit: options.limit ?? 50,
        cursor: options.cursor,
        map: toSession,
        position: (s) => ({ key: sessionIndexKey(s, index), id: s.id }),
        keep: status === undefined ? undefined : (s) => s.status === status,
      }),
    );
  }

  /** Counts sessions, optionally of one status. */
  count(status?: SessionStatus): Promise<number> {
    if (status !== undefined) assertStatus(status, SESSION_STATUSES, "status");
    return this.ctx.read("session.count", () =>
      this.ctx.adapter.count(
        COLLECTION.sessions,
        status === undefined ? { index: SESSION_INDEX.created } : { index: SESSION_INDEX.statusCreated, prefix: `${status}${SEP}` },
      ),
    );
  }

  update(id: string, input: SessionUpdate, condition?: Condition): Promise<Session> {
    condition = ownCondition(condition);
    // Copied now: ending a session plans after an await, and a caller may change its object meanwhile.
    const changes = snapshot(input);
    if (changes.status === undefined || changes.status === "active")
      return this.ctx.run("session.update", this.planUpdate(id, changes, condition), condition, [id, changes]);
    // Ending it by update ends its agents too, as end() does.
    return this.withAgents(id, (seen) =>
      this.ctx.run("session.update", this.planUpdate(id, changes, condition, seen), condition, [id, changes]),
    );
  }

  /** `agents`: the session's agents listed beforehand (`agentsSnapshot`), ended with it if this ends it. @internal */
  planUpdate(id: string, update: SessionUpdate, condition?: Condition, agents?: SessionAgents): Plan<Session> {
    condition = ownCondition(condition);
    const changes = snapshot(update);
    if (changes.name !== undefined) assertName(changes.name);
    if (changes.status !== undefined) assertStatus(changes.status, SESSION_STATUSES, "status");
    if (changes.project !== undefined && changes.project !== null) validateId(changes.project, "project");
    if (changes.metadata !== undefined) assertObject(changes.metadata, "metadata");
    const metaPatch = changes.metadata === undefined ? undefined : own(changes.metadata, this.ctx.limits);
    return (tx, now) => {
      const { data, revision } = requireSession(tx, id);
      checkCondition(COLLECTION.sessions, id, revision, condition);
      const next: Record<string, unknown> = { ...data, updatedAt: now };
      if (changes.name !== undefined) next.name = changes.name;
      if (changes.status !== undefined) {
        next.status = changes.status;
        if (changes.status === "active") delete next.endedAt;
        else if (data.status === "active") {
          next.endedAt = now;
          if (agents !== undefined) endAgents(tx, data, revision, agents, changes.status, now);
        }
      }
      if (changes.project === null) delete next.project;
      else if (changes.project !== undefined) next.project = changes.project;
      if (metaPatch !== undefined) next.metadata = mergePatch(data.metadata, metaPatch);
      const s = next as unknown as SessionData;
      return { ...s, revision: putSession(tx, s) };
    };
  }

  /** Ends an active session with a final status (default `completed`). */
  end(id: string, status: FinalSessionStatus = "completed", condition?: Condition): Promise<Session> {
    condition = ownCondition(condition);
    return this.withAgents(id, (seen) => this.ctx.run("session.end", this.planEnd(id, status, condition, seen), condition, [id, status]));
  }

  /**
   * The session's agent count and agents, read outside a transaction, for a plan that ends the
   * session (`planEnd`, `planUpdate`): the plan ends them, or conflicts if one was spawned since.
   */
  async agentsSnapshot(id: string): Promise<SessionAgents> {
    validateId(id, "session id");
    return (await agentsOf(this.ctx.adapter, id, (sid) => this.agentIds(sid))) ?? { agentCount: 0, ids: [] };
  }

  /** Runs `fn` with a fresh agents snapshot, again (at most 20 times) while agents are spawned meanwhile. */
  private async withAgents<T>(id: string, fn: (seen: SessionAgents) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const seen = await this.agentsSnapshot(id);
      try {
        return await fn(seen);
      } catch (err) {
        if (!isStatehouseError(err, "E_CONFLICT") || err.details.agentsChanged !== true || attempt >= 20) throw err;
      }
    }
  }

  /** `agents`: the session's agents listed beforehand (`agentsSnapshot`), ended with it (`completed`, or its status). @internal */
  planEnd(id: string, status: FinalSessionStatus = "completed", condition?: Condition, agents?: SessionAgents): Plan<Session> {
    condition = ownCondition(condition);
    assertStatus(status, FINAL_SESSION_STATUSES, "final status");
    return (tx, now) => {
      const { data, revision } = requireSession(tx, id);
      checkCondition(COLLECTION.sessions, id, revision, condition);
      if (data.status !== "active") {
        throw new ValidationError(`session "${id}" has already ended (${data.status})`, {
          details: { issues: ["session already ended"], status: data.status },
        });
      }
      const s: SessionData = { ...data, status, updatedAt: now, endedAt: now };
      if (agents !== undefined) endAgents(tx, data, revision, agents, status, now);
      return { ...s, revision: putSession(tx, s) };
    };
  }

  /**
   * Deletes the session with its state document and its agents. Agents are found by listing
   * first; spawning bumps the session's revision, so the delete conflicts and retries instead of
   * leaving an agent spawned meanwhile behind.
   */
  async delete(id: string, condition?: Condition): Promise<WriteResult> {
    condition = ownCondition(condition);
    validateId(id, "session id");
    for (let attempt = 1; ; attempt++) {
      const session = await this.ctx.adapter.get(COLLECTION.sessions, id);
      if (session === undefined) throw new NotFoundError(`session "${id}" does not exist`, { details: { session: id } });
      // The caller's condition is judged once, on this read; the transaction then requires the
      // revision read here, which a concurrent spawn would have changed.
      checkCondition(COLLECTION.sessions, id, session.revision, condition);
      const agentIds = await this.agentIds(id);
      const listing = { agentIds, agentCount: (session.value as unknown as SessionData).agentCount };
      try {
        return await this.ctx.runWrite("session.delete", this.planDelete(id, listing, { ifRevision: session.revision }), condition, [id]);
      } catch (err) {
        if ((err as { code?: string }).code !== "E_CONFLICT" || attempt >= 20) throw err;
      }
    }
  }

  async agentIds(sessionId: string): Promise<string[]> {
    return sessionAgentIds(this.ctx.adapter, sessionId);
  }

  /** Lists the session's agents with its agent count first, for {@link planDelete}. */
  async listAgents(id: string): Promise<AgentListing> {
    validateId(id, "session id");
    const session = await this.ctx.adapter.get(COLLECTION.sessions, id);
    const agentCount = session === undefined ? 0 : (session.value as unknown as SessionData).agentCount;
    return { agentIds: await this.agentIds(id), agentCount };
  }

  /**
   * Deletes the session, its state and its agents: those listed beforehand (by
   * {@link listAgents}) and those spawned earlier in the same transaction. Every spawn raises the
   * session's agent count, so any other difference from the listing means agents were spawned
   * after it: E_CONFLICT (`details.reason` {@link STALE_AGENT_LISTING}), and the caller lists
   * again, rather than leave agents pointing at a deleted session.
   * @internal
   */
  planDelete(id: string, listing: AgentListing, condition?: Condition): Plan<Written> {
    condition = ownCondition(condition);
    return (tx) => {
      const { data, revision } = requireSession(tx, id);
      checkCondition(COLLECTION.sessions, id, revision, condition);
      const spawnedHere = spawnedInTx.get(tx)?.get(id) ?? [];
      if (data.agentCount !== listing.agentCount + spawnedHere.length) {
        throw new ConflictError(`session "${id}" gained agents after they were listed for its deletion`, {
          details: { collection: COLLECTION.sessions, id, currentRevision: revision, reason: STALE_AGENT_LISTING },
        });
      }
      for (const agentId of listing.agentIds) tx.delete(COLLECTION.agents, agentId);
      for (const agentId of spawnedHere) tx.delete(COLLECTION.agents, agentId);
      tx.delete(COLLECTION.sessionState, id);
      deleteHistory(tx, COLLECTION.sessionState, id);
      tx.delete(COLLECTION.sessions, id);
      return { revision };
    };
  }
}

/** The ids of a session's agents, by the agents' session index, every page. */
export async function sessionAgentIds(adapter: StorageAdapter, sessionId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await adapter.list(COLLECTION.agents, {
      index: "session",
      prefix: `${sessionId}${SEP}`,
      limit: 1000,
      ...(after !== undefined && { after }),
    });
    for (const r of page.records) ids.push(r.id);
    after = page.cursor;
  } while (after !== undefined);
  return ids;
}
