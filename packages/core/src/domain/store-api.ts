import type { JsonObject, JsonValue } from "../json/types.js";
import type { JsonPatchOperation } from "../json/json-patch.js";
import type { QueryNode } from "../query/index.js";
import type { HistoryEntry, HistoryOptions, ReadOptions } from "./history.js";
import type { ChangeSet } from "../spi/types.js";
import type { BatchOperation, BatchOptions } from "./batch-operation.js";
import type { Lease, LeaseAcquireOptions, LeaseRenewOptions } from "./leases.js";
import type {
  Agent,
  AgentListOptions,
  AgentSpawnOptions,
  AgentStatus,
  AgentUpdate,
  Condition,
  ConfigRecord,
  FinalSessionStatus,
  ListOptionsBasic,
  Page,
  Session,
  SessionCreateOptions,
  SessionListOptions,
  SessionStatus,
  SessionUpdate,
  Tool,
  ToolDescriptor,
  WriteResult,
} from "./types.js";
import type { WatchEvent } from "./watch.js";
import type { WatchOptions } from "./watch-options.js";

/**
 * The user-facing store, as an interface: what a program sees whether the store is in process
 * (`open("file:…")` of `@statehouse/core`, the `Store` class) or remote (`open("unix:…")` of
 * `@statehouse/client`, over the daemon). Only domain operations: no adapter, no planning, no
 * metrics, so both sides can implement it and callers can switch by URL.
 */
/** A state document as `documents()` lists it. */
export interface DocumentInfo {
  readonly name: string;
  readonly revision: number;
}

export interface StoreApi {
  /** A named state document; `global` by default. */
  state(name?: string): StateDocumentApi;
  /** A session's own state document (deleted with the session). */
  sessionState(sessionId: string): StateDocumentApi;
  readonly sessions: SessionsApi;
  readonly agents: AgentsApi;
  readonly config: ProjectConfigsApi;
  readonly tools: ToolsApi;
  /** Named leases with fencing tokens; a write takes `ifLease: { name, token }` in its condition. */
  readonly leases: LeasesApi;
  /**
   * Committed change sets from every process, in sequence order, each once; a typed `reset` event
   * when `since` is older than the retained change log. Options are checked at the call (a bad one
   * throws here, not at the first `next()`); `return()` (a `break`) or the signal ends it. Remotely it
   * is one `GET /v1/events` stream, resumed after a dropped connection without gap or duplicate.
   */
  watch(options?: WatchOptions): AsyncGenerator<WatchEvent, void, undefined>;
  /** The state documents (not sessions' own), in name order, with their revisions. */
  documents(options?: ListOptionsBasic): Promise<Page<DocumentInfo>>;
  /** Applies every operation atomically, in order; resolves to their results. */
  batch(operations: readonly BatchOperation[], options?: BatchOptions): Promise<unknown[]>;
  /** Change sets after `since`, in order, at most `limit` (the adapter's default when omitted). */
  changes(since: number, limit?: number): Promise<ChangeSet[]>;
  /** The sequence number of the latest committed change set (0 for an empty store). */
  sequence(): Promise<number>;
  /** Sessions by status, active agents and recent changes: one dashboard refresh. */
  snapshot(options?: SnapshotOptionsApi): Promise<DashboardSnapshotApi>;
  /** Releases the store (the adapter in process, the connections remotely). Idempotent. */
  close(): Promise<void>;
}

/** Options of `StoreApi.snapshot`. */
export interface SnapshotOptionsApi {
  /** Change sets to include. Default 20. */
  recentChanges?: number;
  /** Active agents to include, oldest first. Default 100. */
  activeAgents?: number;
}

/** What a dashboard refresh needs, in one call. */
export interface DashboardSnapshotApi {
  readonly at: string;
  readonly sequence: number;
  readonly sessionsByStatus: Readonly<Record<SessionStatus, number>>;
  readonly totalSessions: number;
  readonly activeAgents: readonly Agent[];
  readonly recentChanges: readonly ChangeSet[];
}

/** A document's whole value and revision; value undefined and revision 0 when it does not exist. */
export interface DocumentSnapshotApi {
  readonly value: JsonValue | undefined;
  readonly revision: number;
}

/** Options of `StateDocumentApi.update`. */
export interface UpdateOptionsApi {
  /** Attempts before the last conflict is thrown. Default 20. */
  maxAttempts?: number;
}

/** A JSON state document: revisioned, every write atomic. */
export interface StateDocumentApi {
  readonly name: string;
  /** The whole document and its revision; with `revision`, that revision (the current one or one kept in history, else E_NOT_FOUND). */
  read(options?: ReadOptions): Promise<DocumentSnapshotApi>;
  /** The current revision, then the earlier ones history keeps, newest first (revision, time, size; values on request). */
  history(options?: HistoryOptions): Promise<HistoryEntry[]>;
  /** An RFC 6902 JSON Patch from revision `from` to revision `to` (changed arrays replaced whole). */
  diff(from: number, to: number): Promise<JsonPatchOperation[]>;
  revision(): Promise<number>;
  /** None → the whole document; `$…` → the JSONPath's values; `/…` or `""` → the pointer's value. */
  get(query?: string): Promise<JsonValue | undefined>;
  /** RFC 9535 JSONPath: the matching nodes with their normalized paths and pointers. */
  query(expression: string): Promise<readonly QueryNode[]>;
  /** RFC 6901 JSON Pointer read; undefined when nothing is there. */
  at(pointer: string): Promise<JsonValue | undefined>;
  replace(value: JsonValue, condition?: Condition): Promise<WriteResult>;
  set(pointer: string, value: JsonValue, condition?: Condition): Promise<WriteResult>;
  delete(pointer: string, condition?: Condition): Promise<WriteResult>;
  /** RFC 7396 JSON Merge Patch. */
  merge(patch: JsonValue, condition?: Condition): Promise<WriteResult>;
  /** RFC 6902 JSON Patch, all operations or none. */
  patch(operations: JsonValue, condition?: Condition): Promise<WriteResult>;
  /** Atomic increment; a missing value counts as 0. */
  increment(pointer: string, by?: number, condition?: Condition): Promise<WriteResult & { value: number }>;
  /** Deletes the whole document; false if it did not exist. */
  remove(condition?: Condition): Promise<boolean>;
  /** Read, compute, write if unchanged; on a conflict re-read and call `fn` again. */
  update(fn: (current: JsonValue | undefined) => JsonValue | Promise<JsonValue>, options?: UpdateOptionsApi): Promise<WriteResult>;
}

export interface SessionsApi {
  create(options?: SessionCreateOptions, condition?: Condition): Promise<Session>;
  /** The session, or E_NOT_FOUND. */
  get(id: string): Promise<Session>;
  /** The session, or undefined. */
  find(id: string): Promise<Session | undefined>;
  list(options?: SessionListOptions): Promise<Page<Session>>;
  count(status?: SessionStatus): Promise<number>;
  update(id: string, changes: SessionUpdate, condition?: Condition): Promise<Session>;
  /** Ends an active session with a final status (default `completed`). */
  end(id: string, status?: FinalSessionStatus, condition?: Condition): Promise<Session>;
  /** Deletes the session with its state document and its agents. */
  delete(id: string, condition?: Condition): Promise<WriteResult>;
}

export interface AgentsApi {
  spawn(sessionId: string, options: AgentSpawnOptions, condition?: Pick<Condition, "idempotencyKey">): Promise<Agent>;
  get(id: string): Promise<Agent>;
  find(id: string): Promise<Agent | undefined>;
  list(options?: AgentListOptions): Promise<Page<Agent>>;
  count(status?: AgentStatus): Promise<number>;
  update(id: string, changes: AgentUpdate, condition?: Condition): Promise<Agent>;
  /** Records that the agent is alive now; a spawning agent becomes running. */
  heartbeat(id: string, condition?: Condition): Promise<Agent>;
  /** Deletes an agent record; E_NOT_FOUND if there is none. */
  delete(id: string, condition?: Condition): Promise<boolean>;
}

export interface ProjectConfigsApi {
  /** The validation's messages for a config; empty when it is valid. */
  validate(config: JsonValue): Promise<string[]>;
  /** The JSON Schema configs are validated against (the built-in one, extended or replaced). */
  schema(): Promise<JsonObject>;
  get(project: string): Promise<ConfigRecord>;
  find(project: string): Promise<ConfigRecord | undefined>;
  /** Replaces the project's config after validating it; E_CONFIG with the messages if invalid. */
  set(project: string, config: JsonObject, condition?: Condition): Promise<ConfigRecord>;
  /** Deletes the project's config; false if there was none. */
  delete(project: string, condition?: Condition): Promise<boolean>;
  /** Every project's config, in project order. */
  list(options?: ListOptionsBasic): Promise<Page<ConfigRecord>>;
}

export interface ToolsApi {
  register(descriptor: ToolDescriptor, condition?: Condition): Promise<Tool>;
  get(name: string): Promise<Tool>;
  find(name: string): Promise<Tool | undefined>;
  list(options?: ListOptionsBasic): Promise<Page<Tool>>;
  /** E_NOT_FOUND if it was not registered. */
  unregister(name: string, condition?: Condition): Promise<boolean>;
}

/** `store.leases`: one holder at a time, fencing tokens that only grow, expiry on the store's clock. */
export interface LeasesApi {
  /**
   * Takes the lease for `holder`, or E_CONFLICT naming the holder (`details.holder`,
   * `details.currentToken`) while another holds it. The holder acquiring again extends it and keeps
   * its token; anyone else gets the next token.
   */
  acquire(name: string, options: LeaseAcquireOptions): Promise<Lease>;
  /** Extends the lease by its ttl (or `ttlMs`) from now; E_CONFLICT once the token is no longer current. */
  renew(name: string, options: LeaseRenewOptions): Promise<Lease>;
  /** Gives the lease up; false if the token had already expired; E_CONFLICT if another token is current. */
  release(name: string, options: { token: number }): Promise<boolean>;
  /** The lease as stored, with `held` judged now; undefined if it was never acquired. */
  get(name: string): Promise<Lease | undefined>;
}
