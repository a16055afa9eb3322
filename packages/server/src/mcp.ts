import type { Store, StoreApi } from "@statehouse/core";
import type { FastifyInstance } from "fastify";

/** Whether the app serves MCP at `/mcp`, and if not, why. */
export interface McpStatus {
  readonly enabled: boolean;
  /** Why it is not served (set when `enabled` is false). */
  readonly reason?: string;
}

/**
 * Serves the store's MCP server (`@statehouse/mcp`) over streamable HTTP at `/mcp`: POST for
 * messages, GET for a session's event stream, DELETE to end a session. The package is an optional
 * peer, loaded here, so a daemon installed without it starts as before and says why there is no
 * `/mcp`. The app's auth hook runs first, as for every route; the handler's sessions are closed
 * in preClose, ending their event streams before fastify waits for in-flight requests.
 */
export async function mcpPlugin(app: FastifyInstance, store: StoreApi, enabled: boolean): Promise<McpStatus> {
  if (!enabled) return { enabled: false, reason: "turned off (mcp: false)" };
  // MCP's tools need the in-process store (leases, the change feed); a remote client store has no leases.
  if (typeof (store as Partial<Store>).leases?.acquire !== "function") {
    return skipped(app, "the store is not an in-process store (it has no leases)");
  }
  let mod: typeof import("@statehouse/mcp");
  try {
    mod = await import("@statehouse/mcp");
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
    return skipped(app, missing ? "@statehouse/mcp is not installed" : `@statehouse/mcp failed to load: ${(err as Error)?.message ?? err}`);
  }
  const handler = mod.createMcpHttpHandler({ store: store as Store });
  app.route({
    method: ["GET", "POST", "DELETE"],
    url: "/mcp",
    schema: {
      tags: ["mcp"],
      summary: "The store as an MCP server over streamable HTTP: POST JSON-RPC messages, GET a session's event stream, DELETE ends it",
    },
    handler: async (request, reply) => {
      reply.hijack();
      // A POST with an empty body was parsed to undefined: the handler would wait to read a body already read.
      const body = request.method === "POST" ? (request.body ?? null) : undefined;
      await handler.handle(request.raw, reply.raw, body);
    },
  });
  app.addHook("preClose", async () => handler.close());
  return { enabled: true };
}

function skipped(app: FastifyInstance, reason: string): McpStatus {
  app.log.info({ mcp: false }, `MCP is not served at /mcp: ${reason}`);
  return { enabled: false, reason };
}
