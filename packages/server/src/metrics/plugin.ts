import type { FastifyInstance } from "fastify";
import { toProblem } from "../problem.js";
import { createMetrics, type MetricsSources, type StatehouseMetrics } from "./registry.js";

/**
 * `GET /metrics` (Prometheus text format) and the hooks that time every request by its route pattern
 * (`/v1/sessions/:id`, never the raw URL) and count failures by the library's error code.
 */
export function metricsPlugin(app: FastifyInstance, src: MetricsSources): StatehouseMetrics {
  const m = createMetrics(src);
  app.addHook("onError", async (_request, _reply, err) => {
    const code = toProblem(err, false).code;
    m.errors.inc({ code });
    if (code === "E_CONFLICT") m.conflicts.inc();
  });
  app.addHook("onResponse", async (request, reply) => {
    m.httpDuration.observe(
      {
        route: request.routeOptions.url ?? "unmatched",
        method: request.method,
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });
  app.addHook("onClose", async () => m.stop());
  app.get("/metrics", { schema: { tags: ["monitoring"], summary: "Prometheus metrics (text format 0.0.4)" } }, async (_request, reply) => {
    const text = await m.registry.metrics();
    return reply.type(m.registry.contentType).header("cache-control", "no-store").send(text);
  });
  return m;
}
