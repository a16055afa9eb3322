import type { BatchOperation } from "@statehouse/core";
import { ValidationError } from "@statehouse/core";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "./context.js";
import { idempotencyKeyOf, leaseOf } from "../conditions.js";
import { sendJson } from "./reply.js";

/** An operation object without a fence of its own (anything else is left for the library to refuse). */
function isFenceable(o: unknown): o is Record<string, unknown> {
  return typeof o === "object" && o !== null && !Array.isArray(o) && (o as { ifLease?: unknown }).ifLease === undefined;
}

/** Health, version, batch, the change log, the dashboard snapshot and the OpenAPI description. */
export function metaRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  app.get("/v1/health", { schema: { tags: ["meta"], summary: "Liveness: status, version, pid, store URL" } }, async (_request, reply) =>
    sendJson(reply, 200, { status: "ok", version: ctx.version, pid: process.pid, store: ctx.storeUrl }),
  );
  app.get("/v1/version", { schema: { tags: ["meta"], summary: "The server's version and API version" } }, async (_request, reply) =>
    sendJson(reply, 200, { version: ctx.version, api: "v1" }),
  );
  app.get("/v1/openapi.json", { schema: { tags: ["meta"], summary: "This description" } }, async (_request, reply) =>
    sendJson(reply, 200, ctx.openapi()),
  );
  app.post<{ Body: unknown }>(
    "/v1/batch",
    { schema: { tags: ["batch"], summary: "Apply operations atomically, in order", body: { type: "array", items: { type: "object" } } } },
    async (request, reply) => {
      if (!Array.isArray(request.body))
        throw new ValidationError("a batch is an array of operations", { details: { issues: ["not an array"] } });
      const key = idempotencyKeyOf(request);
      // A Statehouse-Lease header fences the whole batch: every operation without its own ifLease takes it.
      const lease = leaseOf(request);
      const ops = lease === undefined ? request.body : request.body.map((o) => (isFenceable(o) ? { ...o, ifLease: lease } : o));
      const results = await store.batch(ops as BatchOperation[], key === undefined ? {} : { idempotencyKey: key });
      return sendJson(reply, 200, { results });
    },
  );
  app.get<{ Querystring: { since?: number; limit?: number } }>(
    "/v1/changes",
    {
      schema: {
        tags: ["changes"],
        summary: "Change sets after ?since=, in order",
        querystring: {
          type: "object",
          properties: { since: { type: "integer", minimum: 0 }, limit: { type: "integer", minimum: 1, maximum: 10000 } },
        },
      },
    },
    async (request, reply) => sendJson(reply, 200, { changes: await store.changes(request.query.since ?? 0, request.query.limit) }),
  );
  app.get("/v1/sequence", { schema: { tags: ["changes"], summary: "The latest committed change sequence" } }, async (_request, reply) =>
    sendJson(reply, 200, { sequence: await store.sequence() }),
  );
  app.get<{ Querystring: { recentChanges?: number; activeAgents?: number } }>(
    "/v1/snapshot",
    {
      schema: {
        tags: ["meta"],
        summary: "Sessions by status, active agents and recent changes: one dashboard refresh",
        querystring: {
          type: "object",
          properties: {
            recentChanges: { type: "integer", minimum: 0, maximum: 1000 },
            activeAgents: { type: "integer", minimum: 0, maximum: 10000 },
          },
        },
      },
    },
    async (request, reply) => sendJson(reply, 200, await store.snapshot(request.query)),
  );
}
