import { createServer } from "node:http";
import type { FastifyInstance } from "fastify";
import Fastify, { LogController } from "fastify";
import { AlertEvaluator } from "./alerts/evaluator.js";
import { alertRoutes } from "./alerts/routes.js";
import { isConditional } from "./conditions.js";
import { EventHub, type EventStats } from "./events.js";
import { parseJsonBody } from "./json-body.js";
import { type McpStatus, mcpPlugin } from "./mcp.js";
import { metricsPlugin } from "./metrics/plugin.js";
import type { StatehouseMetrics } from "./metrics/registry.js";
import { collectOpenApi } from "./openapi.js";
import { webPlugin } from "./web/plugin.js";
import { type AppLimits, type AppOptions, resolveLimits } from "./options.js";
import type { Store } from "@statehouse/core";
import { problem, toProblem } from "./problem.js";
import { cliRoutes } from "./routes/cli.js";
import { registerRoutes } from "./routes/index.js";

declare const __STATEHOUSE_SERVER_VERSION__: string;
/** The version of this package, reported by `/v1/health` and `/v1/version`. */
export const SERVER_VERSION: string = __STATEHOUSE_SERVER_VERSION__;

/** What the app adds to the fastify instance. */
export interface AppState {
  readonly limits: AppLimits;
  /** Open event streams and slow clients dropped so far. */
  readonly events: EventStats;
  /** Whether `/mcp` serves the store's MCP server, and if not, why (`@statehouse/mcp` not installed, …). */
  readonly mcp: McpStatus;
  /** The Prometheus instruments of `/metrics` (the daemon's retention runs count into `gcRemoved`). */
  readonly metrics: StatehouseMetrics | undefined;
}

/**
 * The daemon's HTTP app: a fastify instance. Listen with `app.listen({ path })` (a unix socket) or
 * `app.listen({ host: "127.0.0.1", port })`; `app.close()` ends event streams first, then drains
 * in-flight requests for at most `limits.drainMs` before cutting their connections. It never
 * closes the store.
 */
export type App = FastifyInstance & { readonly statehouse: AppState };

const JSON_TYPES = ["application/json", "application/merge-patch+json", "application/json-patch+json", "application/x-www-form-urlencoded"];

/** Builds the app (routes, limits, errors, event stream) around an open store. */
export async function createApp(options: AppOptions): Promise<App> {
  const limits = resolveLimits(options.limits);
  const store = options.store;
  const app = Fastify({
    ...(options.logger !== undefined && { loggerInstance: options.logger }),
    // fastify's own two lines per request at info would flood the daemon's log: ours is one, at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyBytes,
    // Ids are up to 200 characters (600 percent-encoded): fastify's default of 100 refused valid long
    // ids with a bare 414 before the library could check them. Longer parameters are still a 414.
    routerOptions: { maxParamLength: 1024 },
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Our own server, so that the header timeout and the interval that enforces both timeouts can be set.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          connectionsCheckingInterval: limits.timeoutCheckMs,
        },
        handler,
      ),
  });
  const openapi = collectOpenApi(app, SERVER_VERSION);
  const hub = new EventHub(store, limits, app.log);
  const state: { -readonly [K in keyof AppState]: AppState[K] } = {
    limits,
    events: hub.stats,
    mcp: { enabled: false, reason: "not set up yet" },
    metrics: undefined,
  };
  app.decorate("statehouse", state satisfies AppState);

  app.removeAllContentTypeParsers();
  // Every JSON flavour parses the same way; a form-encoded body is taken as JSON too, because that
  // is what `curl -d '{"pointer":"/n"}'` sends, and one-line curl calls are how hooks use the daemon.
  app.addContentTypeParser(JSON_TYPES, { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string, limits.jsonDepth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  if (options.auth !== undefined) {
    const auth = options.auth;
    app.addHook("onRequest", async (request, reply) => {
      const failure = await auth({
        method: request.method,
        url: request.url,
        headers: request.headers,
        remoteAddress: request.socket.remoteAddress,
      });
      if (failure !== undefined) {
        const p = problem(failure.status, "E_PERMISSION", failure.detail);
        return reply.code(failure.status).type("application/problem+json").send(JSON.stringify(p));
      }
    });
  }

  app.setErrorHandler((err, request, reply) => {
    const p = toProblem(err, isConditional(request));
    if (p.status === 503) reply.header("retry-after", "1");
    if (p.code === "E_CONFLICT") request.log.info({ code: p.code, url: request.url }, p.detail);
    else if (p.status >= 500) request.log.warn({ code: p.code, url: request.url, err }, p.detail);
    return reply.code(p.status).type("application/problem+json").send(JSON.stringify(p));
  });
  app.setNotFoundHandler((request, reply) => {
    const p = problem(404, "E_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`, { details: { route: false } });
    return reply.code(404).type("application/problem+json").send(JSON.stringify(p));
  });
  // Only with a logger: the hook costs every request a few microseconds even when nothing is logged.
  if (options.logger !== undefined) {
    app.addHook("onResponse", async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, "request");
    });
  }

  // --- monitoring (issue 12): /metrics and the web page at /, registered before the routes so its hooks time every one of them.
  const metrics = metricsPlugin(app, { store, storeUrl: options.storeUrl ?? "", events: hub.stats });
  state.metrics = metrics;
  webPlugin(app, { store, storeUrl: options.storeUrl ?? "", events: hub.stats, metrics });
  // Alerts (issue 12): kept in the store, so served for an in-process store; evaluated when asked (the daemon).
  let evaluator: AlertEvaluator | undefined;
  const inProcess = typeof (store as Partial<Store>).alerts?.list === "function";
  if (inProcess) {
    alertRoutes(app, store as Store);
    if (options.alerts !== undefined && options.alerts !== false) {
      evaluator = new AlertEvaluator(
        { store: store as Store, errorCounts: metrics.errorCounts, events: hub.stats },
        options.alerts,
        app.log,
      );
      app.addHook("preClose", async () => evaluator?.stop());
    }
  }
  // --- end monitoring

  // MCP over streamable HTTP at /mcp (issue 18), when @statehouse/mcp is installed: behind the auth hook like every route.
  state.mcp = mcpPlugin(app, store, options.mcp ?? true);

  registerRoutes(app, { store, storeUrl: options.storeUrl ?? "", version: SERVER_VERSION, hub, openapi });
  if (options.cli !== undefined) cliRoutes(app, options.cli);

  // Streams never finish by themselves: end them before fastify waits for in-flight requests, and
  // bound that wait so a stuck request cannot hold a stopping daemon.
  let drainTimer: NodeJS.Timeout | undefined;
  app.addHook("preClose", async () => {
    hub.close();
    drainTimer = setTimeout(() => app.server.closeAllConnections(), limits.drainMs);
    drainTimer.unref();
  });
  app.addHook("onClose", async () => clearTimeout(drainTimer));
  await app.ready();
  evaluator?.start();
  return app as unknown as App;
}
