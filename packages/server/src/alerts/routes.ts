import type { Store } from "@statehouse/core";
import type { FastifyInstance } from "fastify";

/** `GET /v1/alerts`: the store's alerts, active ones or with `?all=true` the history, newest first. */
export function alertRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: { all?: boolean; limit?: number } }>(
    "/v1/alerts",
    {
      schema: {
        tags: ["monitoring"],
        summary: "Alerts kept in the store (pending, firing; with all=true also resolved), newest first",
        querystring: {
          type: "object",
          properties: { all: { type: "boolean", default: false }, limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const items = await store.alerts.list({ all: request.query.all === true, limit: request.query.limit ?? 100 });
      return reply.header("cache-control", "no-store").send({ items });
    },
  );
}
