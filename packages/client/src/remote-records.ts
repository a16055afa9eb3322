import type {
  Agent,
  AgentListOptions,
  AgentSpawnOptions,
  AgentStatus,
  AgentUpdate,
  AgentsApi,
  Condition,
  ConfigRecord,
  FinalSessionStatus,
  JsonObject,
  JsonValue,
  ListOptionsBasic,
  Page,
  ProjectConfigsApi,
  Session,
  SessionCreateOptions,
  SessionListOptions,
  SessionStatus,
  SessionUpdate,
  SessionsApi,
  Tool,
  ToolDescriptor,
  ToolsApi,
  WriteResult,
} from "@statehouse/core";
import { isStatehouseError } from "@statehouse/core/errors";
import { conditionHeaders, jsonText, qs, seg } from "./encode.js";
import type { Transport } from "./transport.js";

/** The record, or undefined when the daemon says it does not exist (a missing route is still an error). */
async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isStatehouseError(err, "E_NOT_FOUND") && err.details.route !== false) return undefined;
    throw err;
  }
}

async function body<T>(p: Promise<{ body: unknown }>): Promise<T> {
  return (await p).body as T;
}

export class RemoteSessions implements SessionsApi {
  constructor(private readonly t: Transport) {}

  async create(options: SessionCreateOptions = {}, condition?: Condition): Promise<Session> {
    return body(this.t.send("POST", "/v1/sessions", { body: jsonText(options, "session options"), headers: conditionHeaders(condition) }));
  }

  async get(id: string): Promise<Session> {
    return body(this.t.send("GET", `/v1/sessions/${seg(id, "session id")}`));
  }

  async find(id: string): Promise<Session | undefined> {
    return orUndefined(this.get(id));
  }

  async list(options: SessionListOptions = {}): Promise<Page<Session>> {
    const { status, project, orderBy, direction, limit, cursor } = options;
    return body(this.t.send("GET", `/v1/sessions${qs({ status, project, orderBy, direction, limit, cursor })}`));
  }

  async count(status?: SessionStatus): Promise<number> {
    return (await body<{ count: number }>(this.t.send("GET", `/v1/count/sessions${qs({ status })}`))).count;
  }

  async update(id: string, changes: SessionUpdate, condition?: Condition): Promise<Session> {
    return body(
      this.t.send("PATCH", `/v1/sessions/${seg(id, "session id")}`, {
        body: jsonText(changes, "changes"),
        headers: conditionHeaders(condition),
      }),
    );
  }

  async end(id: string, status?: FinalSessionStatus, condition?: Condition): Promise<Session> {
    const payload = status === undefined ? "{}" : jsonText({ status }, "status");
    return body(this.t.send("POST", `/v1/sessions/${seg(id, "session id")}/end`, { body: payload, headers: conditionHeaders(condition) }));
  }

  async delete(id: string, condition?: Condition): Promise<WriteResult> {
    return body(this.t.send("DELETE", `/v1/sessions/${seg(id, "session id")}`, { headers: conditionHeaders(condition) }));
  }
}

export class RemoteAgents implements AgentsApi {
  constructor(private readonly t: Transport) {}

  async spawn(sessionId: string, options: AgentSpawnOptions, condition?: Pick<Condition, "idempotencyKey">): Promise<Agent> {
    seg(sessionId, "session id");
    const payload = jsonText({ ...(typeof options === "object" && options !== null ? options : {}), sessionId });
    return body(this.t.send("POST", "/v1/agents", { body: payload, headers: conditionHeaders(condition) }));
  }

  async get(id: string): Promise<Agent> {
    return body(this.t.send("GET", `/v1/agents/${seg(id, "agent id")}`));
  }

  async find(id: string): Promise<Agent | undefined> {
    return orUndefined(this.get(id));
  }

  async delete(id: string, condition?: Condition): Promise<boolean> {
    return (
      await body<{ removed: boolean }>(this.t.send("DELETE", `/v1/agents/${seg(id, "agent id")}`, { headers: conditionHeaders(condition) }))
    ).removed;
  }

  async list(options: AgentListOptions = {}): Promise<Page<Agent>> {
    const { sessionId, status, direction, limit, cursor } = options;
    return body(this.t.send("GET", `/v1/agents${qs({ sessionId, status, direction, limit, cursor })}`));
  }

  async count(status?: AgentStatus): Promise<number> {
    return (await body<{ count: number }>(this.t.send("GET", `/v1/count/agents${qs({ status })}`))).count;
  }

  async update(id: string, changes: AgentUpdate, condition?: Condition): Promise<Agent> {
    return body(
      this.t.send("PATCH", `/v1/agents/${seg(id, "agent id")}`, {
        body: jsonText(changes, "changes"),
        headers: conditionHeaders(condition),
      }),
    );
  }

  async heartbeat(id: string, condition?: Condition): Promise<Agent> {
    return body(this.t.send("POST", `/v1/agents/${seg(id, "agent id")}/heartbeat`, { headers: conditionHeaders(condition) }));
  }
}

export class RemoteConfigs implements ProjectConfigsApi {
  constructor(private readonly t: Transport) {}

  async validate(config: JsonValue): Promise<string[]> {
    return (await body<{ issues: string[] }>(this.t.send("POST", "/v1/config-validate", { body: jsonText(config, "config") }))).issues;
  }

  async schema(): Promise<JsonObject> {
    return body(this.t.send("GET", "/v1/config-schema"));
  }

  async get(project: string): Promise<ConfigRecord> {
    return body(this.t.send("GET", `/v1/config/${seg(project, "project")}`));
  }

  async find(project: string): Promise<ConfigRecord | undefined> {
    return orUndefined(this.get(project));
  }

  async set(project: string, config: JsonObject, condition?: Condition): Promise<ConfigRecord> {
    return body(
      this.t.send("PUT", `/v1/config/${seg(project, "project")}`, {
        body: jsonText(config, "config"),
        headers: conditionHeaders(condition),
      }),
    );
  }

  async delete(project: string, condition?: Condition): Promise<boolean> {
    return (
      await body<{ removed: boolean }>(
        this.t.send("DELETE", `/v1/config/${seg(project, "project")}`, { headers: conditionHeaders(condition) }),
      )
    ).removed;
  }

  async list(options: ListOptionsBasic = {}): Promise<Page<ConfigRecord>> {
    return body(this.t.send("GET", `/v1/config${qs({ limit: options.limit, cursor: options.cursor })}`));
  }
}

export class RemoteTools implements ToolsApi {
  constructor(private readonly t: Transport) {}

  async register(descriptor: ToolDescriptor, condition?: Condition): Promise<Tool> {
    const name = (descriptor as { name?: unknown } | null)?.name;
    return body(
      this.t.send("PUT", `/v1/tools/${seg(name, "tool name")}`, {
        body: jsonText(descriptor, "tool descriptor"),
        headers: conditionHeaders(condition),
      }),
    );
  }

  async get(name: string): Promise<Tool> {
    return body(this.t.send("GET", `/v1/tools/${seg(name, "tool name")}`));
  }

  async find(name: string): Promise<Tool | undefined> {
    return orUndefined(this.get(name));
  }

  async list(options: ListOptionsBasic = {}): Promise<Page<Tool>> {
    return body(this.t.send("GET", `/v1/tools${qs({ limit: options.limit, cursor: options.cursor })}`));
  }

  async unregister(name: string, condition?: Condition): Promise<boolean> {
    return (
      await body<{ removed: boolean }>(
        this.t.send("DELETE", `/v1/tools/${seg(name, "tool name")}`, { headers: conditionHeaders(condition) }),
      )
    ).removed;
  }
}
