import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { StatehouseMcpOptions } from "./options.js";
import { createMcpServer } from "./server.js";

/** Options of `createMcpHttpHandler`. */
export interface McpHttpHandlerOptions extends StatehouseMcpOptions {
  /** MCP sessions open at once; an initialize past it is answered 503. Default 64. */
  maxSessions?: number;
  /**
   * A session with no request for this long and no open event stream is closed (its id then gets
   * 404), so that clients that vanish without a DELETE cannot use up `maxSessions`. Default 600,000 (10 min).
   */
  sessionIdleMs?: number;
  /**
   * Answer each POST with one JSON body rather than an event stream. No tool sends progress, so the
   * stream only cost time (about half of a call's round trip, measured); notifications still reach
   * the client over its GET event stream. Default true.
   */
  jsonResponses?: boolean;
  /** Largest request body read, in bytes; a larger one is answered 413. Default 4 MiB (the SDK's own bound). */
  maxBodyBytes?: number;
}

/** Mounts MCP's streamable HTTP transport on plain Node request/response pairs. */
export interface McpHttpHandler {
  /**
   * Handles one request to the MCP endpoint (POST, GET for the event stream, DELETE to end a
   * session). `body` is the parsed JSON body if the caller has read it; otherwise it is read here.
   * Authentication is the caller's: this handler trusts every request it is given.
   */
  handle(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void>;
  /** Open MCP sessions. */
  readonly sessions: number;
  /** Closes every session's server and transport. */
  close(): Promise<void>;
}

interface Session {
  readonly server: McpServer;
  readonly transport: StreamableHTTPServerTransport;
  /** When its last request arrived or its last event stream closed (ms since the epoch). */
  lastSeen: number;
  /** Event streams (GETs) open now: a client waiting for notifications is not idle. */
  openStreams: number;
}

function reply(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  // A body refused unread is not drained (that would be reading what the bound refuses): the connection ends with the reply.
  res.writeHead(status, { "content-type": "application/json", ...(status === 413 && { connection: "close" }) });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

class BodyTooLarge extends Error {}

function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * A stateful streamable HTTP endpoint: each client's `initialize` opens an MCP session (its own
 * McpServer over the shared store, named by the `Mcp-Session-Id` header); later requests go to it.
 */
export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  const sessions = new Map<string, Session>();
  const maxSessions = options.maxSessions ?? 64;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const idleMs = options.sessionIdleMs ?? 600_000;
  let pending = 0;

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [id, s] of sessions) {
        if (s.openStreams > 0 || now - s.lastSeen < idleMs) continue;
        sessions.delete(id);
        void s.server.close().catch(() => {});
      }
    },
    Math.max(50, Math.min(idleMs / 4, 60_000)),
  );
  sweep.unref();

  const open = async (): Promise<StreamableHTTPServerTransport> => {
    const server = createMcpServer(options);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.jsonResponses ?? true,
      onsessioninitialized: (id) => {
        sessions.set(id, { server, transport, lastSeen: Date.now(), openStreams: 0 });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport;
  };

  return {
    get sessions() {
      return sessions.size;
    },
    async handle(req, res, body) {
      try {
        if (req.method === "POST" && body === undefined) {
          const declared = Number(req.headers["content-length"] ?? 0);
          if (declared > maxBodyBytes) return reply(res, 413, `the request body is over ${maxBodyBytes} bytes`);
          body = await readJson(req, maxBodyBytes);
        }
        const id = req.headers["mcp-session-id"];
        if (typeof id === "string") {
          const session = sessions.get(id);
          if (session === undefined) return reply(res, 404, "no such MCP session (it ended, or the server restarted): initialize again");
          session.lastSeen = Date.now();
          if (req.method === "GET") {
            session.openStreams++;
            res.once("close", () => {
              session.openStreams--;
              session.lastSeen = Date.now();
            });
          }
          return await session.transport.handleRequest(req, res, body);
        }
        if (req.method !== "POST" || !isInitializeRequest(body)) {
          return reply(res, 400, "no Mcp-Session-Id header: the first request of a session must be an initialize request");
        }
        // Counted before the session exists, so that concurrent initializes cannot overshoot the bound.
        if (sessions.size + pending >= maxSessions) return reply(res, 503, `too many MCP sessions (at most ${maxSessions}); end one first`);
        pending++;
        try {
          const transport = await open();
          await transport.handleRequest(req, res, body);
        } finally {
          pending--;
        }
      } catch (err) {
        if (err instanceof BodyTooLarge) return reply(res, 413, `the request body is over ${maxBodyBytes} bytes`);
        if (err instanceof SyntaxError) return reply(res, 400, "the request body is not JSON");
        reply(res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
      }
    },
    async close() {
      clearInterval(sweep);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(all.map((s) => s.server.close()));
    },
  };
}
