import { createRequire } from "node:module";
import type { Store, StoreApi } from "@statehouse/core";
import type { McpHttpHandler } from "@statehouse/mcp";
import type { FastifyInstance } from "fastify";
import { problem } from "./problem.js";

/** Whether the app serves MCP at `/mcp`, and if not, why. */
export interface McpStatus {
  readonly enabled: boolean;
  /** Why it is not served (set when `enabled` is false). */
  readonly reason?: string;
}

/**
 * Serves the store's MCP server (`@statehouse/mcp`) over streamable HTTP at `/mcp`: POST for
 * messages, GET for a session's event stream, DELETE to end a session. The package is an optional
 * peer: a daemon installed without it starts as before and says why there is no `/mcp`. It is only
 * located at creation and loaded on the first `/mcp` request, because loading the MCP SDK added
 * ~0.4 s to every daemon start, most of which never see an MCP client. The app's auth hook runs
 * first, as for every route; the handler's sessions are closed in preClose, ending their event
 * streams before fastify waits for in-flight requests.
 */
export function mcpPlugin(app: FastifyInstance, store: StoreApi, enabled: boolean): McpStatus {
  if (!enabled) return { enabled: false, reason: "turned off (mcp: false)" };
  // MCP's tools need the in-process store (leases, the change feed); a remote client store has no leases.
  if (typeof (store as Partial<Store>).leases?.acquire !== "function") {
    return skipped(app, "the store is not an in-process store (it has no leases)");
  }
  try {
    // Resolving finds the package without running it (its exports name package.json for this).
    createRequire(import.meta.url).resolve("@statehouse/mcp/package.json");
  } catch {
    return skipped(app, "@statehouse/mcp is not installed");
  }
  // Mutated if the load fails after all, so `app.statehouse.mcp` says why `/mcp` answers 503.
  const status: { enabled: boolean; reason?: string } = { enabled: true };
  let loading: Promise<McpHttpHandler | undefined> | undefined;
  const load = () => {
    loading ??= import("@statehouse/mcp").then(
      (mod) => mod.createMcpHttpHandler({ store: store as Store }),
      (err: unknown) => {
        status.enabled = false;
        status.reason = `@statehouse/mcp failed to load: ${(err as Error)?.message ?? String(err)}`;
        app.log.warn({ mcp: false, err }, status.reason);
        return undefined;
      },
    );
    return loading;
  };
  app.route({
    method: ["GET", "POST", "DELETE"],
    url: "/mcp",
    schema: {
      tags: ["mcp"],
      summary: "The store as an MCP server over streamable HTTP: POST JSON-RPC messages, GET a session's event stream, DELETE ends it",
    },
    handler: async (request, reply) => {
      const handler = await load();
      if (handler === undefined) {
        const p = problem(503, "E_UNAVAILABLE", status.reason ?? "MCP is not served");
        return reply.code(503).type("application/problem+json").send(JSON.stringify(p));
      }
      reply.hijack();
      // A POST with an empty body was parsed to undefined: the handler would wait to read a body already read.
      const body = request.method === "POST" ? (request.body ?? null) : undefined;
      await handler.handle(request.raw, reply.raw, body);
    },
  });
  // A load still under way when the app closes is awaited, so its handler's sessions are closed too.
  app.addHook("preClose", async () => (await loading)?.close());
  return status;
}

function skipped(app: FastifyInstance, reason: string): McpStatus {
  app.log.info({ mcp: false }, `MCP is not served at /mcp: ${reason}`);
  return { enabled: false, reason };
}
