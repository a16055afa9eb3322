import { ValidationError, checkWatchOptions } from "@statehouse/core";
import type { StreamFilter } from "../events.js";
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

/** `?collections=a,b&session=ID`, checked as `store.watch` checks its options. */
function filterOf(collections: string | undefined, session: string | undefined): StreamFilter {
  const filter: StreamFilter = {
    ...(collections !== undefined && { collections: collections.split(",").map((c) => c.trim()) }),
    ...(session !== undefined && { session }),
  };
  checkWatchOptions(filter);
  return filter;
}

/** `GET /v1/events`: server-sent events, one per committed change set, id = its sequence. */
export function eventRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: { since?: number; collections?: string; session?: string } }>(
    "/v1/events",
    {
      schema: {
        tags: ["changes"],
        summary:
          "Server-sent events: every committed change set (event `change`, id = sequence), resumable with Last-Event-ID or ?since=; " +
          "a `reset` event ({since, oldest, sequence}) when the id is older than the retained change log, then the stream carries on at oldest; " +
          "after a change set that wrote alerts, an `alerts` event with them ({sequence, alerts})",
        querystring: {
          type: "object",
          properties: {
            since: { type: "integer", minimum: 0, description: "Resume after this sequence (Last-Event-ID wins when both are given)." },
            collections: {
              type: "string",
              description: "Only changes to these collections, comma-separated (state, session-state, sessions, agents, …).",
            },
            session: {
              type: "string",
              description: "Only changes of this session: its record, its state document and its agents (as store.watch filters).",
            },
          },
        },
      },
    },
    async (request, reply) => {
      const since = sinceOf(request.headers["last-event-id"], request.query.since);
      const filter = filterOf(request.query.collections, request.query.session);
      if (!ctx.hub.canOpen()) {
        const p = problem(503, "E_UNAVAILABLE", "too many event streams are open; retry later");
        return reply.code(503).header("retry-after", "5").type("application/problem+json").send(JSON.stringify(p));
      }
      reply.hijack();
      try {
        await ctx.hub.open(reply.raw, since, filter);
      } catch (err) {
        request.log.warn({ err }, "event stream failed to open");
        reply.raw.destroy();
      }
    },
  );
}
