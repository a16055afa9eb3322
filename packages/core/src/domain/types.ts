import type { JsonObject, JsonValue } from "../json/types.js";
import type { WriteCondition } from "../spi/types.js";

export const SESSION_STATUSES = ["active", "completed", "failed", "cancelled"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const FINAL_SESSION_STATUSES = ["completed", "failed", "cancelled"] as const;
export type FinalSessionStatus = (typeof FINAL_SESSION_STATUSES)[number];

// `cancelled`: the agent's session was cancelled (ending a session ends its agents).
export const AGENT_STATUSES = ["spawning", "running", "idle", "completed", "failed", "cancelled"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/** Agents in these statuses count as active on a dashboard. */
export const ACTIVE_AGENT_STATUSES: readonly AgentStatus[] = ["spawning", "running", "idle"];

/** A write's outcome: the record's new revision and the change sequence number it took. */
export interface WriteResult {
  readonly revision: number;
  readonly sequence: number | undefined;
}

/** A write's conditions: on the record's revision, and (`ifLease`) on a lease's fencing token. */
export type Condition = WriteCondition & {
  /** Refuse the write (E_CONFLICT, with the current token) unless this lease token is current and unexpired. */
  ifLease?: { readonly name: string; readonly token: number };
  /**
   * Makes the write idempotent: a retry with the same key within the store's window
   * (`idempotencyWindowMs`, default 24 h) returns the first result and changes nothing; the same
   * key with a different request is refused (E_CONFLICT). 1 to 255 printable characters.
   */
  idempotencyKey?: string;
};

export interface Session {
  readonly id: string;
  readonly name: string;
  readonly status: SessionStatus;
  readonly project?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
  /** How many agents have been spawned into the session. */
  readonly agentCount: number;
  readonly metadata: JsonObject;
  readonly revision: number;
}

export interface SessionCreateOptions {
  /** Default: a new time-ordered id (`ses_…`). */
  id?: string;
  /** Default: the id. */
  name?: string;
  project?: string;
  /** Default `{}`. */
  metadata?: JsonObject;
}

export interface SessionUpdate {
  name?: string;
  status?: SessionStatus;
  project?: string | null;
  /** Merged into the existing metadata (RFC 7396 merge patch). */
  metadata?: JsonObject;
}

export interface SessionListOptions {
  status?: SessionStatus;
  project?: string;
  /** Default `createdAt`. */
  orderBy?: "createdAt" | "updatedAt";
  /** Default `desc` (newest first). */
  direction?: "asc" | "desc";
  /** Default 50, at most 10,000. */
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Present when more items may follow. */
  readonly cursor?: string;
}

export interface Agent {
  readonly id: string;
  readonly sessionId: string;
  readonly role: string;
  readonly status: AgentStatus;
  readonly pid: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly heartbeatAt: string | null;
  readonly metadata: JsonObject;
  readonly revision: number;
  /**
   * Reads only, present only when true: the agent is active but its last heartbeat (or its creation,
   * without one) is older than its project config's `heartbeatTimeoutSeconds`. Never stored.
   */
  readonly stale?: boolean;
}

export interface AgentSpawnOptions {
  /** Default: a new time-ordered id (`agt_…`). */
  id?: string;
  role: string;
  /** Default `spawning`. */
  status?: AgentStatus;
  pid?: number | null;
  metadata?: JsonObject;
}

export interface AgentUpdate {
  role?: string;
  status?: AgentStatus;
  pid?: number | null;
  metadata?: JsonObject;
}

export interface AgentListOptions {
  sessionId?: string;
  status?: AgentStatus;
  /** Default `asc` (oldest first). */
  direction?: "asc" | "desc";
  limit?: number;
  cursor?: string;
}

export interface ToolDescriptor {
  readonly name: string;
  readonly description?: string;
  readonly command?: string;
  /** A JSON Schema for the tool's input. */
  readonly inputSchema?: JsonValue;
  readonly metadata?: JsonObject;
}

export interface Tool extends ToolDescriptor {
  readonly registeredAt: string;
  readonly updatedAt: string;
  readonly revision: number;
}

export interface ConfigRecord {
  readonly project: string;
  readonly config: JsonObject;
  readonly revision: number;
}

export interface ListOptionsBasic {
  limit?: number;
  cursor?: string;
}
