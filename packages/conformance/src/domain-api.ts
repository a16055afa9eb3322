import type { AdapterOptions, ChangeSet, JsonObject, JsonValue, StorageAdapter, WriteCondition } from "@statehouse/core";

/**
 * The slice of core's domain API (`open(url) → Store`) the domain clauses drive. It is looked up
 * at run time, so this suite also runs (with the domain groups skipped, saying why) against a
 * core that predates the domain API.
 */
export interface WriteResult {
  readonly revision: number;
  readonly sequence: number | undefined;
}

export interface QueryNode {
  readonly path: string;
  readonly pointer: string;
  readonly value: JsonValue;
}

export interface StateDocument {
  read(): Promise<{ value: JsonValue | undefined; revision: number }>;
  revision(): Promise<number>;
  get(query?: string): Promise<JsonValue | undefined>;
  query(expression: string): Promise<readonly QueryNode[]>;
  set(pointer: string, value: JsonValue, condition?: WriteCondition): Promise<WriteResult>;
  delete(pointer: string, condition?: WriteCondition): Promise<WriteResult>;
  merge(patch: JsonValue, condition?: WriteCondition): Promise<WriteResult>;
  patch(operations: JsonValue, condition?: WriteCondition): Promise<WriteResult>;
  replace(value: JsonValue, condition?: WriteCondition): Promise<WriteResult>;
  increment(pointer: string, by?: number, condition?: WriteCondition): Promise<WriteResult & { value: number }>;
  update(fn: (current: JsonValue | undefined) => JsonValue | Promise<JsonValue>, options?: { maxAttempts?: number }): Promise<WriteResult>;
}

export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export interface Session {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly project?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
  readonly metadata: JsonObject;
  readonly revision: number;
  readonly agentCount?: number;
}

export interface Agent {
  readonly id: string;
  readonly sessionId: string;
  readonly role: string;
  readonly status: string;
  readonly pid: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly heartbeatAt: string | null;
  readonly metadata: JsonObject;
  /** Present (true) when an active agent's heartbeat is older than its project's timeout. */
  readonly stale?: boolean;
  readonly revision: number;
}

export interface Tool {
  readonly name: string;
  readonly description?: string;
  readonly command?: string;
  readonly inputSchema?: JsonValue;
  readonly revision: number;
}

export interface DomainStore {
  readonly adapter: StorageAdapter;
  state(name?: string): StateDocument;
  sessionState(sessionId: string): StateDocument;
  readonly sessions: {
    create(options?: { id?: string; name?: string; project?: string; metadata?: JsonObject }, condition?: WriteCondition): Promise<Session>;
    get(id: string): Promise<Session>;
    find(id: string): Promise<Session | undefined>;
    list(options?: {
      status?: string;
      project?: string;
      orderBy?: "createdAt" | "updatedAt";
      direction?: "asc" | "desc";
      limit?: number;
      cursor?: string;
    }): Promise<Page<Session>>;
    update(
      id: string,
      changes: { name?: string; status?: string; project?: string | null; metadata?: JsonObject },
      condition?: WriteCondition,
    ): Promise<Session>;
    end(id: string, status?: string, condition?: WriteCondition): Promise<Session>;
    delete(id: string, condition?: WriteCondition): Promise<unknown>;
  };
  readonly agents: {
    spawn(
      sessionId: string,
      options: { id?: string; role: string; status?: string; pid?: number | null; metadata?: JsonObject },
      condition?: { idempotencyKey?: string },
    ): Promise<Agent>;
    get(id: string): Promise<Agent>;
    find(id: string): Promise<Agent | undefined>;
    list(options?: {
      sessionId?: string;
      status?: string;
      direction?: "asc" | "desc";
      limit?: number;
      cursor?: string;
    }): Promise<Page<Agent>>;
    update(
      id: string,
      changes: { role?: string; status?: string; pid?: number | null; metadata?: JsonObject },
      condition?: WriteCondition,
    ): Promise<Agent>;
    heartbeat(id: string, condition?: WriteCondition): Promise<Agent>;
  };
  readonly config: {
    get(project: string): Promise<{ project: string; config: JsonObject; revision: number }>;
    find(project: string): Promise<{ project: string; config: JsonObject; revision: number } | undefined>;
    set(
      project: string,
      config: JsonObject,
      condition?: WriteCondition,
    ): Promise<{ project: string; config: JsonObject; revision: number }>;
    validate(config: JsonValue): Promise<string[]>;
  };
  readonly tools: {
    register(
      descriptor: { name: string; description?: string; command?: string; inputSchema?: JsonValue; metadata?: JsonObject },
      condition?: WriteCondition,
    ): Promise<Tool>;
    get(name: string): Promise<Tool>;
    find(name: string): Promise<Tool | undefined>;
    list(options?: { limit?: number; cursor?: string }): Promise<Page<Tool>>;
    unregister(name: string, condition?: WriteCondition): Promise<boolean>;
  };
  // `object`, not BatchOperation: the batch clause also sends malformed operations on purpose.
  batch(operations: readonly object[], options?: { idempotencyKey?: string }): Promise<unknown[]>;
  changes(since: number, limit?: number): Promise<ChangeSet[]>;
  sequence(): Promise<number>;
  close(): Promise<void>;
}

export interface DomainStoreOptions extends AdapterOptions {
  config?: { schema: JsonObject; mode?: "extend" | "replace" };
}

export type OpenStore = (url: string, options?: DomainStoreOptions) => Promise<DomainStore>;

let cached: Promise<OpenStore | undefined> | undefined;

/** Core's `open`, or undefined when this core has no domain API. */
export function loadOpen(): Promise<OpenStore | undefined> {
  cached ??= import("@statehouse/core").then((core) => {
    const open = (core as Record<string, unknown>).open;
    return typeof open === "function" ? (open as OpenStore) : undefined;
  });
  return cached;
}
