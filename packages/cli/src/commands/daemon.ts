import { UnavailableError } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { EXIT_CODES } from "../exit-codes.js";
import { emit, int } from "./common.js";

/** Loaded only by these commands: the locate entry is node built-ins and core. */
const locate = () => import("@statehouse/server/locate");

/** `daemon path`: the socket path of the store's daemon (whether or not one runs), for `curl --unix-socket`. */
export async function path(ctx: CommandContext): Promise<number | undefined> {
  const { daemonPaths } = await locate();
  const paths = daemonPaths(ctx.storeUrl);
  await emit(ctx, {
    json: () => ({ socket: paths.socket, discovery: paths.discovery, log: paths.log }),
    plain: () => [paths.socket],
    human: () => ctx.out.line(paths.socket),
  });
  return undefined;
}

/** `daemon status`: what the discovery file says, checked against the daemon's own /v1/health. Exit 15 when none answers. */
export async function status(ctx: CommandContext): Promise<number | undefined> {
  const { daemonPaths, probeHealth, readDiscovery } = await locate();
  const paths = daemonPaths(ctx.storeUrl);
  const record = readDiscovery(paths.discovery);
  if (record === undefined)
    throw new UnavailableError(`no statehouse daemon serves ${ctx.storeUrl} (no discovery file at ${paths.discovery})`, {
      details: { socket: paths.socket },
    });
  const health = await probeHealth(record.socket);
  await emit(ctx, {
    json: () => ({ running: true, ...record, health }),
    plain: () => [
      `pid\t${record.pid}`,
      `version\t${record.version}`,
      `socket\t${record.socket}`,
      `store\t${record.store}`,
      ...(record.tcp === undefined ? [] : [`tcp\t${record.tcp}`]),
    ],
    human: () =>
      ctx.out.line(
        `statehouse daemon running: pid ${record.pid}, version ${record.version}, store ${record.store}\n  socket ${record.socket}${record.tcp === undefined ? "" : `\n  tcp    ${record.tcp}`}\n  since  ${record.startedAt}`,
      ),
  });
  return undefined;
}

/** `daemon stop [--timeout S]`: SIGTERM to the daemon that answers on the socket, then waits until it has exited. */
export async function stop(ctx: CommandContext): Promise<number | undefined> {
  const { daemonPaths, probeHealth, readDiscovery } = await locate();
  const timeoutMs = (int(ctx, "timeout", 1, 3600) ?? 30) * 1000;
  const paths = daemonPaths(ctx.storeUrl);
  const record = readDiscovery(paths.discovery);
  if (record === undefined)
    throw new UnavailableError(`no statehouse daemon serves ${ctx.storeUrl} (no discovery file at ${paths.discovery})`, {
      details: { socket: paths.socket },
    });
  // Signal only the process that answers on the socket with the recorded pid: a pid left in a
  // stale file may belong to an unrelated process by now.
  const health = await probeHealth(record.socket);
  if (health.pid !== record.pid) {
    throw new UnavailableError(
      `the daemon answering at ${record.socket} is pid ${health.pid}, not the recorded ${record.pid}; not signalling`,
      { details: { socket: record.socket } },
    );
  }
  process.kill(record.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive(record.pid)) {
    if (Date.now() > deadline)
      throw new UnavailableError(`the daemon (pid ${record.pid}) did not exit within ${timeoutMs / 1000} s`, {
        details: { pid: record.pid },
      });
    await new Promise((r) => setTimeout(r, 25));
  }
  await emit(ctx, {
    json: () => ({ stopped: true, pid: record.pid, socket: record.socket }),
    plain: () => [record.pid],
    human: () => ctx.out.line(`stopped the statehouse daemon (pid ${record.pid})`),
  });
  return EXIT_CODES.OK;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
