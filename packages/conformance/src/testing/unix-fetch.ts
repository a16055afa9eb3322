import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";

/** The `fetch` signature clients such as the MCP SDK's transports accept. */
export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * fetch over a unix socket (Node's own fetch cannot dial one): node:http underneath, the response
 * body streamed, so an SSE stream stays open. The URL's host is ignored; its path and query are sent.
 */
export function unixFetch(socketPath: string): Fetch {
  return (input, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(String(input));
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const req = httpRequest({ socketPath, path: u.pathname + u.search, method: init?.method ?? "GET", headers }, (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        const status = res.statusCode ?? 500;
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: h }));
      });
      req.on("error", reject);
      // The SDK reuses one signal for many requests: each request removes its listener when it closes.
      const abort = () => req.destroy();
      init?.signal?.addEventListener("abort", abort, { once: true });
      req.on("close", () => init?.signal?.removeEventListener("abort", abort));
      req.end(typeof init?.body === "string" ? init.body : undefined);
    });
}
