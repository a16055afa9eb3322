import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StoreApi } from "@statehouse/core";
import type { FastifyInstance } from "fastify";
import type { EventStats } from "../events.js";
import type { StatehouseMetrics } from "../metrics/registry.js";
import { CapacityHistory } from "./capacity.js";

/** Everything the page loads is from this origin; no inline script or style element, no frames. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

export interface WebSources {
  readonly store: StoreApi;
  /** The store's URL: where its disk usage is measured for the capacity view. */
  readonly storeUrl: string;
  readonly events: EventStats;
  readonly metrics: StatehouseMetrics;
}

/** The asset files: this package's `ui/` folder (copied next to the built code) and uPlot's from its package. */
function assetFiles(): Map<string, string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve("uplot/package.json"));
  return new Map([
    ["/", join(here, "ui", "index.html")],
    ["/ui/app.js", join(here, "ui", "app.js")],
    ["/ui/app.css", join(here, "ui", "app.css")],
    ["/ui/uplot.js", join(uplot, "dist", "uPlot.iife.min.js")],
    ["/ui/uplot.css", join(uplot, "dist", "uPlot.min.css")],
  ]);
}

/**
 * The live dashboard: `GET /` and its assets under `/ui/`, and `GET /ui/overview.json` (recent
 * latencies per operation, sessions and agents by status from the store, stale agents, event-stream
 * figures). Sessions, agents, state and the change feed come from the `/v1` API itself.
 */
export function webPlugin(app: FastifyInstance, src: WebSources): void {
  const files = assetFiles();
  const cache = new Map<string, Buffer>();
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    const path = request.url.split("?")[0]!;
    if (path === "/" || path.startsWith("/ui/")) {
      reply.header("content-security-policy", CSP);
      reply.header("referrer-policy", "no-referrer");
    }
    return payload;
  });
  for (const [route, file] of files) {
    const ext = file.slice(file.lastIndexOf("."));
    const schema = { tags: ["dashboard"], summary: `The dashboard: ${route === "/" ? "the page" : route}` };
    app.get(route, { schema }, async (_request, reply) => {
      let body = cache.get(route);
      if (body === undefined) {
        body = await readFile(file);
        cache.set(route, body);
      }
      return reply
        .type(TYPES[ext] ?? "application/octet-stream")
        .header("cache-control", "no-cache")
        .send(body);
    });
  }
  const capacity = new CapacityHistory(src.storeUrl);
  const summary = "The dashboard's figures: recent latencies per operation, sessions and agents by status, event streams";
  app.get("/ui/overview.json", { schema: { tags: ["dashboard"], summary } }, async (_request, reply) => {
    const snap = await src.store.snapshot({ recentChanges: 0, activeAgents: 500 });
    // Stale as core judges it: a heartbeat older than the agent's project's heartbeatTimeoutSeconds.
    const stale = snap.activeAgents.filter((a) => a.stale === true).length;
    return reply.header("cache-control", "no-store").send({
      at: snap.at,
      sequence: snap.sequence,
      sessions: snap.sessionsByStatus,
      totalSessions: snap.totalSessions,
      activeAgents: snap.activeAgents.length,
      staleAgents: stale,
      operations: src.metrics.recent.stats(),
      errors: await src.metrics.errorCounts(),
      events: { active: src.events.active, dropped: src.events.dropped },
      capacity: await capacity.observe(snap.totalSessions),
    });
  });
}
