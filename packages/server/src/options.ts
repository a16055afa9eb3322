import type { IncomingHttpHeaders } from "node:http";
import type { StoreApi } from "@statehouse/core";
import type { FastifyBaseLogger } from "fastify";
import type { AlertsOptions } from "./alerts/evaluator.js";
import type { CliRunner } from "./cli-runner.js";

/** Limits that keep one client from holding the daemon. Every field is optional; defaults below. */
export interface AppLimitsOptions {
  /** Largest request body, in bytes; more is refused with 413. Default 17 MiB (the store's 16 MiB record limit plus room for an envelope). */
  bodyBytes?: number;
  /**
   * Deepest JSON nesting accepted in a body, checked by a scan before parsing so a hostile body costs
   * bounded work; deeper is 422 `E_VALIDATION`. Default 72 (the store's default depth limit of 64 plus
   * the envelope of a batch operation); the store still applies its own limit to every value.
   */
  jsonDepth?: number;
  /** Time a client has to send a request's headers; the connection is cut after it. Default 10,000 ms. */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request (headers and body). Default 30,000 ms. */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. Default 5,000 ms. */
  keepAliveTimeoutMs?: number;
  /** How often the server checks the two timeouts above. Default 1,000 ms (Node's own default is 30 s). */
  timeoutCheckMs?: number;
  /** Concurrent `/v1/events` streams; the next one gets 503 `E_UNAVAILABLE`. Default 256. */
  eventStreams?: number;
  /** Bytes an event stream may have queued unsent before that (slow) client is dropped. Default 1 MiB. */
  eventBufferBytes?: number;
  /** How often the change sequence is polled while a stream is open (it also sees other processes' writes). Default 50 ms. */
  eventPollMs?: number;
  /** Interval of keep-alive comments on an idle event stream. Default 15,000 ms. */
  eventKeepAliveMs?: number;
  /** On close, in-flight requests get this long to finish before their connections are cut. Default 5,000 ms. */
  drainMs?: number;
}

export type AppLimits = Required<AppLimitsOptions>;

export const DEFAULT_LIMITS: AppLimits = {
  bodyBytes: 17 * 1024 * 1024,
  jsonDepth: 72,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckMs: 1_000,
  eventStreams: 256,
  eventBufferBytes: 1024 * 1024,
  eventPollMs: 50,
  eventKeepAliveMs: 15_000,
  drainMs: 5_000,
};

/** What the auth hook sees of a request. */
export interface AuthRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The peer address on TCP; undefined on a unix socket. */
  readonly remoteAddress: string | undefined;
}

/** Why a request is refused: 401 (no or wrong credentials) or 403 (e.g. a foreign Host header). */
export interface AuthFailure {
  readonly status: 401 | 403;
  readonly detail: string;
}

/** Checks a request before routing; undefined lets it through. */
export type AuthHook = (request: AuthRequest) => AuthFailure | undefined | Promise<AuthFailure | undefined>;

/** Options of `createApp`. */
export interface AppOptions {
  /** The store the API serves (in process: `open(url)` of `@statehouse/core`). Required. The app never closes it. */
  store: StoreApi;
  /** The store's URL, reported by `GET /v1/health`. Default `""`. */
  storeUrl?: string;
  /** Defaults: `DEFAULT_LIMITS`. */
  limits?: AppLimitsOptions;
  /** Runs first on every request (the daemon's bearer token and Host check on TCP). Default: none. */
  auth?: AuthHook;
  /** A pino-compatible logger: one line per request at debug, conflicts at info. Default: no logging. */
  logger?: FastifyBaseLogger;
  /**
   * Serve the store as an MCP server over streamable HTTP at `/mcp` (needs the optional peer
   * `@statehouse/mcp` and an in-process store; without them the app starts without `/mcp` and
   * `app.statehouse.mcp.reason` says why). Default true.
   */
  mcp?: boolean;
  /** Runs CLI commands for the CLI's thin client at `POST /v1/cli` (`statehouse serve` supplies it). Default: not served. */
  cli?: CliRunner;
  /**
   * Evaluate the KPIs on a schedule and keep alerts in the store (thresholds from the project
   * config's `alerts`). Default false here, so an embedded app writes nothing unasked; the daemon
   * (`statehouse serve`) turns it on. `GET /v1/alerts` is served either way (in-process stores).
   */
  alerts?: AlertsOptions | false;
}

export function resolveLimits(options: AppLimitsOptions | undefined): AppLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(options ?? {})) {
    if (v !== undefined) (limits as Record<string, number>)[k] = v;
  }
  return limits;
}
