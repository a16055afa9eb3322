import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnavailableError, open } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { EXIT_CODES } from "../exit-codes.js";
import { version } from "../version.js";
import { emit, str, usage } from "./common.js";
import { parseDuration } from "./duration.js";

/** How long `serve --detach` waits for the daemon to answer /v1/health. */
const DETACH_WAIT_MS = 15_000;

/**
 * `serve [--listen ADDR] [--idle-exit D] [--detach] [--log FILE] [--log-level L]`: runs the daemon in
 * the foreground until SIGTERM/SIGINT (or the idle timer); with --detach, starts it in the
 * background and returns once it answers.
 */
export async function serve(ctx: CommandContext): Promise<number | undefined> {
  const idle = str(ctx, "idle-exit");
  const idleExitMs = idle === undefined ? undefined : parseDuration(idle);
  if (idle !== undefined && (idleExitMs === undefined || idleExitMs === 0))
    throw usage(ctx, `--idle-exit takes a duration such as 30s, 10m or 1h, got ${JSON.stringify(idle)}`);
  const logLevel = str(ctx, "log-level") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel))
    throw usage(ctx, `--log-level must be debug, info, warn or error, got ${JSON.stringify(logLevel)}`);
  if (ctx.storeUrl.startsWith("memory:") && ctx.opts.detach === true)
    throw usage(ctx, "a memory: store lives in one process: serve it in the foreground, with STATEHOUSE_SOCKET");
  if (ctx.opts.detach === true) return detach(ctx);

  const daemon = await import("@statehouse/server/daemon");
  const listen = str(ctx, "listen");
  // Check the address before the store is opened: a refused --listen must not touch the store.
  if (listen !== undefined) daemon.parseListenAddress(listen);
  // Group commit: the daemon writes for many clients at once, so the writes that arrive while one
  // commit flushes share the next commit's fsync, each still its own transaction.
  const store = await open(ctx.storeUrl, { ...ctx.storeOptions, groupCommit: true });
  let running: Awaited<ReturnType<typeof daemon.startDaemon>>;
  try {
    const mine = await version();
    const key = daemon.storeKey(ctx.storeUrl);
    // A thin client's command names its store as the client sees it (its own working directory).
    const serves = (url: string, cwd: string) => {
      try {
        return daemon.storeKey(url, cwd) === key;
      } catch {
        return false;
      }
    };
    running = await daemon.startDaemon({
      storeUrl: ctx.storeUrl,
      store,
      version: mine,
      cli: ctx.forwardRunner({ store, version: mine, serves }),
      listen,
      idleExitMs,
      logFile: str(ctx, "log"),
      logLevel: logLevel as "debug" | "info" | "warn" | "error",
      tokenFile: str(ctx, "token-file"),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const { paths, tcp } = running;
  await emit(ctx, {
    json: () => ({ socket: paths.socket, pid: process.pid, store: ctx.storeUrl, tcp: tcp ?? null, discovery: paths.discovery }),
    plain: () => [paths.socket],
    human: () =>
      ctx.out.line(
        `statehouse daemon serving ${ctx.storeUrl} on ${paths.socket}${tcp === undefined ? "" : ` and ${tcp}`} (pid ${process.pid})`,
      ),
  });
  await running.stopped;
  return EXIT_CODES.OK;
}

/**
 * Starts `statehouse … serve` again without --detach, in its own session with no terminal, and
 * waits until it answers /v1/health. Its early stderr goes to a private temporary file, shown if
 * it exits before answering (e.g. "already running"), and its exit status is passed on.
 */
async function detach(ctx: CommandContext): Promise<number> {
  const { daemonPaths, probeHealth } = await import("@statehouse/server/locate");
  // Imported here, not at the top: the command bundle (dist/bin.js) is one file, so a top-level
  // import would load child_process (and net, dgram) into every command's start-up.
  const { spawn } = await import("node:child_process");
  const args = process.argv.slice(2).filter((a) => a !== "--detach");
  const errFile = join(tmpdir(), `statehouse-serve-${process.pid}-${Date.now()}.err`);
  const fd = openSync(errFile, "wx", 0o600);
  let exited: number | undefined;
  try {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
      detached: true,
      stdio: ["ignore", "ignore", fd],
      env: { ...process.env, STATEHOUSE_STORE: ctx.storeUrl },
    });
    child.on("exit", (code) => (exited = code ?? EXIT_CODES.UNEXPECTED));
    child.unref();
    const paths = daemonPaths(ctx.storeUrl);
    const deadline = Date.now() + DETACH_WAIT_MS;
    while (Date.now() < deadline) {
      if (exited !== undefined) {
        const text = readFileSync(errFile, "utf8").trim();
        if (text !== "") ctx.out.error(text);
        return exited === 0 ? EXIT_CODES.UNEXPECTED : exited;
      }
      try {
        const h = await probeHealth(paths.socket, 500);
        if (h.pid === child.pid) {
          await emit(ctx, {
            json: () => ({ socket: paths.socket, pid: h.pid, store: ctx.storeUrl, discovery: paths.discovery }),
            plain: () => [paths.socket],
            human: () => ctx.out.line(`statehouse daemon started for ${ctx.storeUrl} on ${paths.socket} (pid ${h.pid})`),
          });
          return EXIT_CODES.OK;
        }
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new UnavailableError(`the daemon did not answer within ${DETACH_WAIT_MS} ms (pid ${child.pid}); see its log`, {
      details: { pid: child.pid },
    });
  } finally {
    closeSync(fd);
    rmSync(errFile, { force: true });
  }
}
