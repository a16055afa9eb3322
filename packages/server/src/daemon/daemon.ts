import { chmodSync, renameSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { StatehouseError, type Store } from "@statehouse/core";
import type { AlertsOptions } from "../alerts/evaluator.js";
import type { CliRunner } from "../cli-runner.js";
import { createApp } from "../app.js";
import { GC_KINDS, type GcStore, RetentionScheduler, type RetentionScheduleOptions } from "../retention/scheduler.js";
import { DaemonLogger, type LogLevel } from "./logger.js";
import { type DaemonPaths, type DiscoveryRecord, daemonPaths } from "./locate.js";
import { clearStaleSocket, isSameSocket, removeDiscoveryIfOurs, socketIdentity, writeDiscovery } from "./socket-files.js";
import { type StoreLock, acquireStoreLock } from "./store-lock.js";
import { checkTcpRequest, exchangeToken, loadOrCreateToken, parseListenAddress } from "./tcp-guard.js";

/** Options of `startDaemon`. */
export interface DaemonOptions {
  /** The store's URL, as given (recorded in the discovery file; names the socket). */
  storeUrl: string;
  /** The opened store. The daemon closes it when it stops. */
  store: Store;
  /** The version reported in the discovery file (the CLI compares it with its own). */
  version: string;
  /** Also listen on loopback TCP, `127.0.0.1:PORT` (port 0: any free port). Default: the unix socket only. */
  listen?: string;
  /** The bearer token's file for TCP. Default: next to the socket (`<hash>.token`), created 0600 if absent. */
  tokenFile?: string;
  /** Stop after this long without a request in flight. Default: never. */
  idleExitMs?: number;
  /** The log file (JSON lines, 0600). Default: next to the socket (`<hash>.log`). */
  logFile?: string;
  /** The least severe level logged: request lines are `debug`, conflicts `info`. Default info. */
  logLevel?: LogLevel;
  /** How long a stop waits for in-flight requests before cutting connections. Default 10000 ms. */
  drainTimeoutMs?: number;
  /** Stop on SIGTERM and SIGINT. Default true. */
  handleSignals?: boolean;
  /** Environment for the socket's location (XDG_RUNTIME_DIR, STATEHOUSE_SOCKET). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Alert evaluation (thresholds from the project config's `alerts`), or false for none. Default on, project `default`. */
  alerts?: AlertsOptions | false;
  /**
   * Retention: gc on the schedule of the `default` project's `retention` config section (nothing
   * while there is none), or false for never. Default on.
   */
  retention?: RetentionScheduleOptions | false;
  /** Runs CLI commands for the CLI's thin client at `POST /v1/cli`. Default: not served. */
  cli?: CliRunner;
}

/** A daemon that is serving. */
export interface RunningDaemon {
  readonly paths: DaemonPaths;
  /** `127.0.0.1:PORT` when listening on TCP. */
  readonly tcp: string | undefined;
  /** Resolves once the daemon has stopped and cleaned up (after `stop()`, a signal or the idle timer). */
  readonly stopped: Promise<void>;
  /** Stops accepting, drains in-flight requests (bounded), ends event streams, closes the store. Idempotent. */
  stop(reason?: string): Promise<void>;
}

const DEFAULT_DRAIN_MS = 10_000;

/**
 * Starts a daemon for a store: takes the store's lock, replaces a stale socket, binds the socket
 * 0600 in its 0700 directory (and loopback TCP if asked), then writes the discovery file.
 * Throws E_CONFLICT when a daemon already serves the store.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const paths = daemonPaths(options.storeUrl, { env: options.env, create: true });
  const lock = await acquireStoreLock(paths.storeKey, paths.socket);
  let logger: DaemonLogger | undefined;
  try {
    logger = new DaemonLogger(options.logFile ?? paths.log, options.logLevel ?? "info");
    return await serve(options, paths, lock, logger);
  } catch (err) {
    logger?.log("error", "start failed", { error: describe(err) });
    logger?.close();
    await lock.release();
    throw err;
  }
}

async function serve(options: DaemonOptions, paths: DaemonPaths, lock: StoreLock, logger: DaemonLogger): Promise<RunningDaemon> {
  if (await clearStaleSocket(paths.socket)) logger.log("info", "replaced a stale socket", { socket: paths.socket });
  const tcpAddress = options.listen === undefined ? undefined : parseListenAddress(options.listen);
  const tokenFile = options.tokenFile ?? paths.token;
  const token = tcpAddress === undefined ? undefined : loadOrCreateToken(tokenFile);

  const drainMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
  const app = await createApp({
    store: options.store,
    storeUrl: options.storeUrl,
    limits: { drainMs },
    alerts: options.alerts ?? {},
    ...(options.cli !== undefined && { cli: options.cli }),
    // One app serves both listeners. A unix socket request has no peer address and needs nothing
    // more (the socket's mode is its access control); a TCP one must pass the Host and token check.
    auth: token === undefined ? undefined : (req) => (req.remoteAddress === undefined ? undefined : checkTcpRequest(req.headers, token)),
  });
  if (app.statehouse.mcp.enabled) logger.log("info", "MCP served at /mcp");
  else logger.log("info", "MCP not served at /mcp", { reason: app.statehouse.mcp.reason });
  // Retention (issue 14) runs beside the requests, on a timer, for a store in this process.
  let retention: RetentionScheduler | undefined;
  const gcStore = options.store as Partial<GcStore>;
  if (options.retention !== false && typeof gcStore.gc === "function" && typeof gcStore.retentionPolicy === "function") {
    retention = new RetentionScheduler(
      gcStore as GcStore,
      (level, msg, fields) => logger.log(level, msg, fields),
      (report) => {
        for (const kind of GC_KINDS) if (report[kind] > 0) app.statehouse.metrics?.gcRemoved.inc({ kind }, report[kind]);
      },
      options.retention ?? {},
    );
  }
  const inflight = new Set<ServerResponse>();
  let lastActivity = Date.now();
  const track = (req: IncomingMessage, res: ServerResponse, via: "unix" | "tcp") => {
    const started = process.hrtime.bigint();
    inflight.add(res);
    lastActivity = Date.now();
    res.once("close", () => {
      inflight.delete(res);
      lastActivity = Date.now();
      const status = res.statusCode;
      const fields = { method: req.method, url: req.url, status, via, ms: Number(process.hrtime.bigint() - started) / 1e6 };
      // Conflicts are the normal outcome of conditional writes: worth noting, never an error.
      if (status === 409 || status === 412) logger.log("info", "conflict", fields);
      else if (status >= 500) logger.log("warn", "server error", fields);
      else logger.log("debug", "request", fields);
    });
  };

  app.server.prependListener("request", (req, res) => track(req, res, "unix"));
  // Bind with a umask that leaves the socket 0600 from its first moment, then chmod anyway
  // (the umask is the process's, and a platform may ignore it for sockets).
  const umask = process.umask(0o177);
  try {
    await app.listen({ path: paths.socket });
  } finally {
    process.umask(umask);
  }
  chmodSync(paths.socket, 0o600);
  const identity = socketIdentity(paths.socket);

  let tcpServer: Server | undefined;
  let tcp: string | undefined;
  if (tcpAddress !== undefined && token !== undefined) {
    // The same app behind a second server: its routes, hooks (the auth check above) and limits.
    tcpServer = createServer(
      {
        headersTimeout: app.server.headersTimeout,
        requestTimeout: app.server.requestTimeout,
        keepAliveTimeout: app.server.keepAliveTimeout,
      },
      (req, res) => {
        track(req, res, "tcp");
        // The page's address, `/?token=…`, trades the token for its session cookie before any routing.
        const exchange = exchangeToken(req.method, req.url, req.headers, token);
        if (exchange !== undefined) {
          req.resume();
          res.writeHead(exchange.status, exchange.headers).end(exchange.body);
          return;
        }
        app.routing(req, res);
      },
    );
    await new Promise<void>((resolve, reject) => {
      tcpServer!.once("error", reject);
      tcpServer!.listen(tcpAddress.port, tcpAddress.host, () => resolve());
    });
    const a = tcpServer.address() as AddressInfo;
    tcp = a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  const record: DiscoveryRecord = {
    socket: paths.socket,
    pid: process.pid,
    version: options.version,
    store: options.storeUrl,
    startedAt: new Date().toISOString(),
    ...(tcp === undefined ? {} : { tcp, tokenFile }),
  };
  writeDiscovery(paths.discovery, record);
  logger.log("info", "serving", { socket: paths.socket, tcp, store: options.storeUrl, pid: process.pid, version: options.version });
  retention?.start();

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;

  const stop = (reason = "stop"): Promise<void> => {
    stopping ??= (async () => {
      logger.log("info", "stopping", { reason, inflight: inflight.size });
      await retention?.stop();
      if (idleTimer !== undefined) clearInterval(idleTimer);
      // Node unlinks a unix socket's path when its server closes. If the path now holds another
      // server's socket (someone removed ours and bound theirs), move it aside across the close.
      const foreign = !isSameSocket(paths.socket, identity) && socketIdentity(paths.socket) !== undefined;
      const aside = `${paths.socket}.${process.pid}.aside`;
      if (foreign) renameSync(paths.socket, aside);
      const closing = Promise.all([
        app.close(),
        tcpServer === undefined ? undefined : new Promise<void>((r) => tcpServer!.close(() => r())),
      ]);
      if (foreign) renameSync(aside, paths.socket);
      // The app ends its event streams and bounds its own drain (limits.drainMs); the race below
      // is the backstop for the TCP server, which the app does not know about.
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), drainMs + 1000))),
      ]);
      clearTimeout(timer);
      if (!drained) {
        logger.log("warn", "drain timed out; closing the remaining connections", { inflight: inflight.size, drainMs });
        app.server.closeAllConnections();
        tcpServer?.closeAllConnections();
        await closing;
      }
      try {
        await options.store.close();
      } catch (err) {
        logger.log("error", "closing the store failed", { error: describe(err) });
      }
      removeDiscoveryIfOurs(paths.discovery);
      if (isSameSocket(paths.socket, identity)) rmSync(paths.socket, { force: true });
      await lock.release();
      logger.log("info", "stopped", { reason });
      logger.close();
      // Our signal handlers stay until the very end: the file adapter's proper-lockfile uses
      // signal-exit, which re-raises SIGTERM (killing the process mid-drain) as soon as it sees
      // no other listener for it.
      for (const sig of SIGNALS) process.removeListener(sig, onSignal);
      resolveStopped();
    })();
    return stopping;
  };

  const onSignal = (sig: NodeJS.Signals) => void stop(sig);
  if (options.handleSignals !== false) for (const sig of SIGNALS) process.on(sig, onSignal);

  let idleTimer: NodeJS.Timeout | undefined;
  const idleMs = options.idleExitMs;
  if (idleMs !== undefined && idleMs > 0) {
    idleTimer = setInterval(
      () => {
        if (inflight.size === 0 && Date.now() - lastActivity >= idleMs) void stop("idle");
      },
      Math.max(10, Math.min(1000, Math.floor(idleMs / 4))),
    );
  }

  return { paths, tcp, stopped, stop };
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof StatehouseError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
