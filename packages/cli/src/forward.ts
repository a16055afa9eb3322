import type { CommandSpec, Values } from "./contract.js";
import type { Output } from "./io/output.js";
import { version } from "./version.js";

/**
 * Forwarding to a daemon. The command groups below are domain operations, which the remote client
 * offers as they are (`watch` follows the daemon's event stream); the others (doctor, export,
 * import, migrate, dashboard with its adapter metrics) work on the adapter itself and always open
 * the store directly.
 */
const FORWARDED_GROUPS: ReadonlySet<string> = new Set(["state", "session", "agent", "config", "tools", "batch", "watch"]);

/**
 * Where the thin client (thin.ts), in this same process, left the daemon it reached before it fell
 * back to the full CLI: that daemon answered and runs this CLI's version, so the discovery file is
 * not read again and the daemon not probed again.
 */
export const DAEMON_HINT = Symbol.for("statehouse.cli.daemon-hint");

/** The socket the thin client found, if it left one (see DAEMON_HINT) for this store URL. */
function hintedSocket(storeUrl: string): string | undefined {
  const hint = (globalThis as { [DAEMON_HINT]?: { url: string; socket: string } })[DAEMON_HINT];
  return hint !== undefined && hint.url === storeUrl ? hint.socket : undefined;
}

/**
 * The socket of the daemon serving this store, or undefined to open the store directly: the
 * command is not a domain operation, `--no-daemon` was given, no discovery file, nothing answers
 * its health check, or its version is not the CLI's (then with a warning on stderr, since the two
 * may disagree on the wire format). An unsafe daemon directory is never trusted: direct access.
 */
export async function daemonSocketFor(command: CommandSpec, values: Values, storeUrl: string, out: Output): Promise<string | undefined> {
  if (values["no-daemon"] === true || !FORWARDED_GROUPS.has(command.name.split(" ")[0]!)) return undefined;
  if (storeUrl.startsWith("memory:")) return undefined;
  const hinted = hintedSocket(storeUrl);
  if (hinted !== undefined) return hinted;
  let locate: typeof import("@statehouse/server/locate");
  try {
    locate = await import("@statehouse/server/locate");
  } catch {
    return undefined;
  }
  let discovery: string;
  try {
    discovery = locate.daemonPaths(storeUrl).discovery;
  } catch {
    return undefined;
  }
  const record = locate.readDiscovery(discovery);
  if (record === undefined) return undefined;
  let health: Awaited<ReturnType<typeof locate.probeHealth>>;
  try {
    health = await locate.probeHealth(record.socket, 2000);
  } catch {
    return undefined;
  }
  const mine = await version();
  if (health.version !== mine) {
    out.error(
      `statehouse: warning: the daemon serving this store is version ${health.version}, this CLI is ${mine}; opening the store directly (restart the daemon: statehouse daemon stop && statehouse serve --detach)`,
    );
    return undefined;
  }
  return record.socket;
}
