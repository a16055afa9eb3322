import { Agent, type IncomingHttpHeaders, type IncomingMessage, request } from "node:http";
import { ClosedError, UnavailableError, ValidationError } from "@statehouse/core/errors";
import { errorFromProblem } from "./problem.js";

/** Options of the client's `open`. */
export interface ClientOptions {
  /** Bearer token for a daemon on loopback TCP (`http://127.0.0.1:PORT`). Default: none (unix sockets need none). */
  token?: string;
  /** A request that has not answered after this long fails with E_UNAVAILABLE. Default 30,000 ms. */
  timeoutMs?: number;
  /**
   * How long `watch()` keeps reconnecting to a daemon that has gone away (resuming where it was)
   * before its iteration throws E_UNAVAILABLE. Default 30,000 ms.
   */
  watchReconnectMs?: number;
}

export interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface RequestOptions {
  /** JSON text, already validated. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Where the daemon listens: a unix socket path, or a loopback host and port. */
type Endpoint = { socketPath: string } | { host: string; port: number };

function endpointOf(url: string): Endpoint {
  if (url.startsWith("unix:")) {
    const socketPath = url.slice("unix:".length).replace(/^\/\/(?=\/)/, "");
    if (socketPath === "")
      throw new ValidationError("a unix: URL names a socket path, e.g. unix:/run/statehouse.sock", { details: { url } });
    return { socketPath };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`not a daemon URL: ${JSON.stringify(url)} (use unix:/path/to.sock or http://127.0.0.1:PORT)`, {
      details: { url },
    });
  }
  if (parsed.protocol !== "http:") {
    throw new ValidationError(`not a daemon URL: ${JSON.stringify(url)} (use unix:/path/to.sock or http://127.0.0.1:PORT)`, {
      details: { url },
    });
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 80) };
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTSOCK", "EACCES"]);

/**
 * HTTP/1.1 over node:http with a keep-alive agent: one connection (or a few, when calls overlap)
 * reused for every call, so a call costs a round trip, not a connect.
 */
export class Transport {
  private readonly endpoint: Endpoint;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly auth: string | undefined;
  private readonly timeoutMs: number;
  /** Set by close(): every later call fails with E_CLOSED, as on a closed library store. */
  closed = false;
  /** Open event streams: each on its own connection (outside the agent's pool), cut by close(). */
  private readonly streams = new Set<IncomingMessage>();

  constructor(
    readonly url: string,
    options: ClientOptions = {},
  ) {
    this.endpoint = endpointOf(url);
    this.auth = options.token === undefined ? undefined : `Bearer ${options.token}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends one request; resolves to a 2xx answer, rejects with the problem's StatehouseError otherwise. */
  send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (this.closed) return Promise.reject(new ClosedError("the store is closed"));
    return this.attempt(method, path, options, true);
  }

  /**
   * One try. A kept-alive connection the daemon closed as idle just as this request was written to it
   * fails at once with ECONNRESET or EPIPE, before any answer: the daemon never read the request, so
   * it is sent once more on a fresh connection (Node's documented remedy; `reusedSocket` tells).
   */
  private attempt(method: string, path: string, options: RequestOptions, mayRetry: boolean): Promise<Response> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: "application/json", ...options.headers };
      if (this.auth !== undefined) headers.authorization = this.auth;
      if (options.body !== undefined) {
        headers["content-type"] = options.contentType ?? "application/json";
        headers["content-length"] = String(Buffer.byteLength(options.body));
      }
      const req = request({ ...this.endpoint, agent: this.agent, method, path, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(this.unavailable(err, method, path)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text === "" ? undefined : JSON.parse(text);
          } catch {
            body = text;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ status, headers: res.headers, body });
          else reject(errorFromProblem(status, body, `${method} ${path}`));
        });
      });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: "ETIMEDOUT" })));
      let answered = false;
      req.on("response", () => {
        answered = true;
      });
      req.on("error", (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        if (mayRetry && !answered && req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE") && !this.closed) {
          this.attempt(method, path, options, false).then(resolve, reject);
          return;
        }
        reject(this.unavailable(err, method, path));
      });
      req.end(options.body);
    });
  }

  /**
   * Opens a long-lived GET (the event stream) on a connection of its own, so that it never holds one
   * of the pool's sockets that calls share. Resolves to the 2xx response once its headers arrive
   * (within `timeoutMs`; after that the stream may stay quiet for as long as it likes); rejects with
   * the problem's error or E_UNAVAILABLE. Aborting `signal` destroys it.
   */
  openStream(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    if (this.closed) return Promise.reject(new ClosedError("the store is closed"));
    return new Promise((resolve, reject) => {
      const h: Record<string, string> = { accept: "text/event-stream", ...headers };
      if (this.auth !== undefined) h.authorization = this.auth;
      let response: IncomingMessage | undefined;
      const req = request({ ...this.endpoint, agent: false, method: "GET", path, headers: h }, (res) => {
        response = res;
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          req.setTimeout(0);
          this.streams.add(res);
          // Aborting cuts the open stream too (a watch waiting for its next event ends at once).
          res.once("close", () => {
            this.streams.delete(res);
            signal?.removeEventListener("abort", abort);
          });
          if (this.closed || signal?.aborted === true) res.destroy();
          resolve(res);
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(this.unavailable(err, "GET", path)));
        res.on("end", () => {
          signal?.removeEventListener("abort", abort);
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            body = undefined;
          }
          reject(errorFromProblem(status, body, `GET ${path}`));
        });
      });
      const abort = (): void => {
        req.destroy(Object.assign(new Error("the watch was aborted"), { code: "ABORT_ERR" }));
        response?.destroy();
      };
      signal?.addEventListener("abort", abort, { once: true });
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: "ETIMEDOUT" })),
      );
      req.on("error", (err) => {
        signal?.removeEventListener("abort", abort);
        reject(this.unavailable(err, "GET", path));
      });
      req.end();
    });
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  private unavailable(err: unknown, method: string, path: string): Error {
    const code = (err as { code?: unknown }).code;
    const why = typeof code === "string" && UNREACHABLE.has(code) ? code : ((err as Error).message ?? String(err));
    return new UnavailableError(`the statehouse daemon at ${this.url} cannot be reached (${why}) for ${method} ${path}`, {
      cause: err,
      details: { url: this.url, ...(typeof code === "string" && { errno: code }) },
    });
  }
}
