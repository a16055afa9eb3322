import type {
  AgentListOptions,
  AgentSpawnOptions,
  AgentStatus,
  AgentUpdate,
  Condition,
  FinalSessionStatus,
  JsonObject,
  JsonValue,
  SessionCreateOptions,
  SessionListOptions,
  SessionStatus,
  SessionUpdate,
  StoreApi,
  ToolDescriptor,
} from "@statehouse/core";
import { ValidationError } from "@statehouse/core";
import type { FastifyInstance } from "fastify";
import { conditionOf, idempotencyKeyOf, leaseOf } from "../conditions.js";
import { revisionOf, sendJson } from "./reply.js";
import { anyJson, idParam, objectBody, pageQuery } from "./schemas.js";

type Id = { id: string };

function needObject(body: unknown, what: string): JsonObject {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError(`${what} must be a JSON object`, { details: { issues: [`${what} is not an object`] } });
  }
  return body as JsonObject;
}

/** Sessions, agents, project configs and tools. Each record answer carries its revision as the ETag. */
export function recordRoutes(app: FastifyInstance, store: StoreApi): void {
  const sessionId = idParam("id", "The session's id.");
  const agentId = idParam("id", "The agent's id.");

  // Sessions
  app.post<{ Body: SessionCreateOptions | undefined }>(
    "/v1/sessions",
    { schema: { tags: ["sessions"], summary: "Create a session (409 if the id exists)", body: { type: ["object", "null"] } } },
    async (request, reply) => {
      const s = await store.sessions.create(request.body === undefined ? {} : needObject(request.body, "the body"), conditionOf(request));
      return sendJson(reply, 201, s, s.revision);
    },
  );
  app.get<{ Querystring: SessionListOptions }>(
    "/v1/sessions",
    {
      schema: {
        tags: ["sessions"],
        summary: "List sessions, filtered by status and project, paged by cursor",
        querystring: {
          type: "object",
          properties: {
            status: { type: "string" },
            project: { type: "string" },
            orderBy: { type: "string", enum: ["createdAt", "updatedAt"] },
            direction: { type: "string", enum: ["asc", "desc"] },
            ...pageQuery,
          },
        },
      },
    },
    async (request, reply) => sendJson(reply, 200, await store.sessions.list(request.query)),
  );
  app.get<{ Querystring: { status?: SessionStatus } }>(
    "/v1/count/sessions",
    {
      schema: {
        tags: ["sessions"],
        summary: "Count sessions, optionally of one status",
        querystring: { type: "object", properties: { status: { type: "string" } } },
      },
    },
    async (request, reply) => sendJson(reply, 200, { count: await store.sessions.count(request.query.status) }),
  );
  app.get<{ Params: Id }>(
    "/v1/sessions/:id",
    { schema: { tags: ["sessions"], summary: "One session", params: sessionId } },
    async (request, reply) => {
      const s = await store.sessions.get(request.params.id);
      return sendJson(reply, 200, s, s.revision);
    },
  );
  app.patch<{ Params: Id; Body: SessionUpdate }>(
    "/v1/sessions/:id",
    { schema: { tags: ["sessions"], summary: "Update name, status, project, metadata (merged)", params: sessionId, body: objectBody } },
    async (request, reply) => {
      const s = await store.sessions.update(request.params.id, needObject(request.body, "the body") as SessionUpdate, conditionOf(request));
      return sendJson(reply, 200, s, s.revision);
    },
  );
  app.post<{ Params: Id; Body: { status?: FinalSessionStatus } | undefined }>(
    "/v1/sessions/:id/end",
    {
      schema: {
        tags: ["sessions"],
        summary: "End an active session (status completed, failed or cancelled; default completed)",
        params: sessionId,
        body: { type: ["object", "null"], properties: { status: { description: "completed, failed or cancelled" } } },
      },
    },
    async (request, reply) => {
      const s = await store.sessions.end(request.params.id, request.body?.status, conditionOf(request));
      return sendJson(reply, 200, s, s.revision);
    },
  );
  app.delete<{ Params: Id }>(
    "/v1/sessions/:id",
    { schema: { tags: ["sessions"], summary: "Delete a session with its state and agents", params: sessionId } },
    async (request, reply) => sendJson(reply, 200, await store.sessions.delete(request.params.id, conditionOf(request))),
  );

  // Agents
  app.post<{ Body: AgentSpawnOptions & { sessionId: string } }>(
    "/v1/agents",
    {
      schema: {
        tags: ["agents"],
        summary: "Spawn an agent into an active session",
        body: {
          type: "object",
          required: ["sessionId", "role"],
          properties: { sessionId: { description: "The session's id" }, role: { description: "The agent's role" } },
        },
      },
    },
    async (request, reply) => {
      const { sessionId: sid, ...options } = needObject(request.body, "the body") as unknown as AgentSpawnOptions & { sessionId: string };
      // A spawn takes no revision condition; an idempotency key and a lease fence it does.
      const key = idempotencyKeyOf(request);
      const lease = leaseOf(request);
      const condition = { ...(key !== undefined && { idempotencyKey: key }), ...(lease !== undefined && { ifLease: lease }) };
      const a = await store.agents.spawn(sid, options, condition as Pick<Condition, "idempotencyKey">);
      return sendJson(reply, 201, a, a.revision);
    },
  );
  app.get<{ Querystring: AgentListOptions }>(
    "/v1/agents",
    {
      schema: {
        tags: ["agents"],
        summary: "List agents, by session and status, paged by cursor",
        querystring: {
          type: "object",
          properties: {
            sessionId: { type: "string" },
            status: { type: "string" },
            direction: { type: "string", enum: ["asc", "desc"] },
            ...pageQuery,
          },
        },
      },
    },
    async (request, reply) => sendJson(reply, 200, await store.agents.list(request.query)),
  );
  app.get<{ Querystring: { status?: AgentStatus } }>(
    "/v1/count/agents",
    {
      schema: {
        tags: ["agents"],
        summary: "Count agents, optionally of one status",
        querystring: { type: "object", properties: { status: { type: "string" } } },
      },
    },
    async (request, reply) => sendJson(reply, 200, { count: await store.agents.count(request.query.status) }),
  );
  app.get<{ Params: Id }>(
    "/v1/agents/:id",
    { schema: { tags: ["agents"], summary: "One agent", params: agentId } },
    async (request, reply) => {
      const a = await store.agents.get(request.params.id);
      return sendJson(reply, 200, a, a.revision);
    },
  );
  app.patch<{ Params: Id; Body: AgentUpdate }>(
    "/v1/agents/:id",
    { schema: { tags: ["agents"], summary: "Update role, status, pid, metadata (merged)", params: agentId, body: objectBody } },
    async (request, reply) => {
      const a = await store.agents.update(request.params.id, needObject(request.body, "the body") as AgentUpdate, conditionOf(request));
      return sendJson(reply, 200, a, a.revision);
    },
  );
  app.delete<{ Params: Id }>(
    "/v1/agents/:id",
    { schema: { tags: ["agents"], summary: "Delete an agent record (404 if there is none)", params: agentId } },
    async (request, reply) => sendJson(reply, 200, { removed: await store.agents.delete(request.params.id, conditionOf(request)) }),
  );
  app.post<{ Params: Id }>(
    "/v1/agents/:id/heartbeat",
    { schema: { tags: ["agents"], summary: "The agent is alive now (spawning becomes running)", params: agentId } },
    async (request, reply) => {
      const a = await store.agents.heartbeat(request.params.id, conditionOf(request));
      return sendJson(reply, 200, a, a.revision);
    },
  );

  // Project configs
  const project = idParam("project", "The project's name.");
  app.get(
    "/v1/config-schema",
    { schema: { tags: ["config"], summary: "The JSON Schema project configs are validated against" } },
    async (_request, reply) => sendJson(reply, 200, await store.config.schema()),
  );
  app.post<{ Body: JsonValue }>(
    "/v1/config-validate",
    { schema: { tags: ["config"], summary: "Validate a config without storing it: the issues (empty when valid)" } },
    async (request, reply) => sendJson(reply, 200, { issues: await store.config.validate(request.body ?? null) }),
  );
  app.get<{ Params: { project: string } }>(
    "/v1/config/:project",
    { schema: { tags: ["config"], summary: "A project's config", params: project } },
    async (request, reply) => {
      const c = await store.config.get(request.params.project);
      return sendJson(reply, 200, c, c.revision);
    },
  );
  app.put<{ Params: { project: string }; Body: JsonObject }>(
    "/v1/config/:project",
    {
      schema: {
        tags: ["config"],
        summary: "Replace a project's config after validating it (422 E_CONFIG if invalid)",
        params: project,
        body: anyJson,
      },
    },
    async (request, reply) => {
      // Not checked here: the library's validation answers E_CONFIG with its messages for a non-object too.
      const c = await store.config.set(request.params.project, request.body, conditionOf(request));
      return sendJson(reply, 200, c, c.revision);
    },
  );
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/v1/config",
    {
      schema: {
        tags: ["config"],
        summary: "Every project's config, in project order, paged",
        querystring: { type: "object", properties: { ...pageQuery } },
      },
    },
    async (request, reply) => sendJson(reply, 200, await store.config.list(request.query)),
  );
  app.delete<{ Params: { project: string } }>(
    "/v1/config/:project",
    { schema: { tags: ["config"], summary: "Delete a project's config", params: project } },
    async (request, reply) => sendJson(reply, 200, { removed: await store.config.delete(request.params.project, conditionOf(request)) }),
  );

  // Tools
  const tool = idParam("name", "The tool's name.");
  app.put<{ Params: { name: string }; Body: ToolDescriptor }>(
    "/v1/tools/:name",
    {
      schema: {
        tags: ["tools"],
        summary: "Register or replace a tool (If-None-Match: * refuses replacing)",
        params: tool,
        body: objectBody,
      },
    },
    async (request, reply) => {
      const body = needObject(request.body, "a tool descriptor");
      if (body.name !== undefined && body.name !== request.params.name) {
        throw new ValidationError(
          `the body names tool ${JSON.stringify(body.name)} but the URL names ${JSON.stringify(request.params.name)}`,
          {
            details: { issues: ["name mismatch"] },
          },
        );
      }
      const t = await store.tools.register({ ...body, name: request.params.name } as unknown as ToolDescriptor, conditionOf(request));
      return sendJson(reply, 200, t, revisionOf(t));
    },
  );
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/v1/tools",
    { schema: { tags: ["tools"], summary: "Tools in name order, paged", querystring: { type: "object", properties: { ...pageQuery } } } },
    async (request, reply) => sendJson(reply, 200, await store.tools.list(request.query)),
  );
  app.get<{ Params: { name: string } }>(
    "/v1/tools/:name",
    { schema: { tags: ["tools"], summary: "One tool", params: tool } },
    async (request, reply) => {
      const t = await store.tools.get(request.params.name);
      return sendJson(reply, 200, t, t.revision);
    },
  );
  app.delete<{ Params: { name: string } }>(
    "/v1/tools/:name",
    { schema: { tags: ["tools"], summary: "Unregister a tool (404 if it was not registered)", params: tool } },
    async (request, reply) => sendJson(reply, 200, { removed: await store.tools.unregister(request.params.name, conditionOf(request)) }),
  );
}
