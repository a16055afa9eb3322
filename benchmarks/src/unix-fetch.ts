import { Agent, request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { IoError } from "@statehouse/core";

/** The fetch signature the MCP SDK's streamable HTTP client transport accepts. */
export type UnixFetch = ((input: string | URL, init?: RequestInit) => Promise<Response>) & { close(): void };

/**
 * fetch over a unix socket, on one keep-alive agent, as a long-lived agent process would hold its
 * connection: node:http underneath, the response body streamed (an SSE stream stays open).
 * `close()` destroys the agent's sockets.
 */
export function unixFetch(socketPath: string): UnixFetch {
  const agent = new Agent({ keepAlive: true });
  const fetchLike = (input: string | URL, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const u = new URL(String(input));
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const req = httpRequest({ agent, socketPath, path: u.pathname + u.search, method: init?.method ?? "GET", headers }, (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        const status = res.statusCode ?? 500;
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: h }));
      });
      req.on("error", (err) =>
        reject(new IoError(`${init?.method ?? "GET"} ${u.pathname} over ${socketPath}: ${err.message}`, { cause: err })),
      );
      // The SDK reuses one signal for many requests: each request removes its listener when it closes.
      const abort = () => req.destroy();
      init?.signal?.addEventListener("abort", abort, { once: true });
      req.on("close", () => init?.signal?.removeEventListener("abort", abort));
      req.end(typeof init?.body === "string" ? init.body : undefined);
    });
  return Object.assign(fetchLike, { close: () => agent.destroy() });
}
