import { Agent, request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { IoError } from "@statehouse/core";

// The one fetch over a unix socket of the workspace: the tests' MCP clients and the benchmark's
// MCP scenarios both use it (benchmarks depend on this package for it; nothing here depends on them).

/** The `fetch` signature clients such as the MCP SDK's transports accept, and `close()`. */
export type Fetch = ((input: string | URL, init?: RequestInit) => Promise<Response>) & {
  /** Destroys the keep-alive agent's sockets (nothing to do without keepAlive). */
  close(): void;
};

/** Options of `unixFetch`. */
export interface UnixFetchOptions {
  /**
   * Keep connections open between requests, on one agent, as a long-lived agent process would
   * hold its connection (the benchmark's setting), which `close()` ends. Default: false, node:http's
   * global agent.
   */
  keepAlive?: boolean;
}

/**
 * fetch over a unix socket (Node's own fetch cannot dial one): node:http underneath, the response
 * body streamed, so an SSE stream stays open. The URL's host is ignored; its path and query are
 * sent. A request that fails to connect rejects with an `IoError` naming the socket.
 */
export function unixFetch(socketPath: string, options: UnixFetchOptions = {}): Fetch {
  const agent = options.keepAlive === true ? new Agent({ keepAlive: true }) : undefined;
  const fetchLike = (input: string | URL, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const u = new URL(String(input));
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const method = init?.method ?? "GET";
      const req = httpRequest({ socketPath, path: u.pathname + u.search, method, headers, ...(agent && { agent }) }, (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        const status = res.statusCode ?? 500;
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: h }));
      });
      req.on("error", (err) => reject(new IoError(`${method} ${u.pathname} over ${socketPath}: ${err.message}`, { cause: err })));
      // The SDK reuses one signal for many requests: each request removes its listener when it closes.
      const abort = () => req.destroy();
      init?.signal?.addEventListener("abort", abort, { once: true });
      req.on("close", () => init?.signal?.removeEventListener("abort", abort));
      req.end(typeof init?.body === "string" ? init.body : undefined);
    });
  return Object.assign(fetchLike, { close: () => agent?.destroy() });
}
