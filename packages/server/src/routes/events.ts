import { ValidationError } from "@statehouse/core";
import type { FastifyInstance } from "fastify";
import { problem } from "../problem.js";
import type { RouteContext } from "./context.js";

function sinceOf(lastEventId: unknown, since: unknown): number | undefined {
  const raw = typeof lastEventId === "string" ? lastEventId : since;
  if (raw === undefined) return undefined;
  const n = typeof raw === "number" ? raw : /^(0|[1-9][0-9]{0,15})$/.test(String(raw).trim()) ? Number(String(raw).trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ValidationError(`an event id is a change sequence number, got ${JSON.stringify(String(raw).slice(0, 40))}`, {
      details: { issues: ["bad event id"], malformed: true },
    });
  }
  return n;
}

/** `GET /v1/events`: server-sent events, one per committed change set, id = its sequence. */
export function eventRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: { since?: number } }>(
    "/v1/events",
    {
      schema: {
        tags: ["changes"],
        summary:
          "Server-sent events: every committed change set (event `change`, id = sequence), resumable with Last-Event-ID or ?since=; " +
          "after a change set that wrote alerts, an `alerts` event with them ({sequence, alerts})",
        querystring: { type: "object", properties: { since: { type: "integer", minimum: 0 } } },
      },
    },
    async (request, reply) => {
      const since = sinceOf(request.headers["last-event-id"], request.query.since);
      if (!ctx.hub.canOpen()) {
        const p = problem(503, "E_UNAVAILABLE", "too many event streams are open; retry later");
        return reply.code(503).header("retry-after", "5").type("application/problem+json").send(JSON.stringify(p));
      }
      reply.hijack();
      try {
        await ctx.hub.open(reply.raw, since);
      } catch (err) {
        request.log.warn({ err }, "event stream failed to open");
        reply.raw.destroy();
      }
    },
  );
}
