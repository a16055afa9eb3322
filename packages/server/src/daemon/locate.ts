import { sha256Hex } from "./sha256.js";
import { lstatSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ConfigError, PermissionError } from "@statehouse/core";
import { parseStoreUrl } from "@statehouse/core/spi";

/**
 * Where a store's daemon lives: its socket, discovery file, lock name and default log and token
 * files. Only node built-ins and core: the CLI reads this on every command to find a daemon, so it
 * must never load the HTTP framework or an adapter.
 */

/** Longest unix socket path Linux accepts: sun_path is 108 bytes including the trailing NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** What a daemon writes next to its socket so that CLIs and hooks can find and check it. */
export interface DiscoveryRecord {
  socket: string;
  pid: number;
  version: string;
  store: string;
  /** `127.0.0.1:PORT` when the daemon also listens on loopback TCP. */
  tcp?: string;
  /** The bearer token's file when it listens on TCP (the token itself is never written here). */
  tokenFile?: string;
  startedAt: string;
}

export interface DaemonPaths {
  /** The 0700 directory holding the files below (the socket's own directory under STATEHOUSE_SOCKET). */
  dir: string;
  socket: string;
  discovery: string;
  log: string;
  token: string;
  /** Identifies the store: the same store reached by two spellings of its path has one key. */
  storeKey: string;
}

export interface LocateOptions {
  /** Environment to read XDG_RUNTIME_DIR and STATEHOUSE_SOCKET from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Create the directory if missing (the daemon does; a CLI looking for a daemon does not). Default false. */
  create?: boolean;
  /** Resolve relative store paths against this directory (default process.cwd()). */
  cwd?: string;
}

/**
 * A stable identity for the store behind a URL: the scheme and the real path of its location (so
 * `file:./s` and `file:/abs/s` through a symlink name one daemon). A location that does not exist
 * yet is resolved as far as it exists. `memory:` stores live in one process, so each has its own key.
 */
export function storeKey(storeUrl: string, cwd = process.cwd()): string {
  const { scheme, location } = parseStoreUrl(storeUrl);
  if (scheme === "memory") return `memory:${process.pid}:${location}`;
  // A server's URL (postgres://…) names the same store from any working directory: not a path.
  if (location === storeUrl) return storeUrl;
  return `${scheme}:${realish(resolve(cwd, location))}`;
}

function realish(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(realish(parent), path.slice(parent.length + (parent.endsWith("/") ? 0 : 1)));
  }
}

/** The daemon files of a store. Throws E_PERMISSION for an unsafe directory, E_CONFIG for a path too long. */
export function daemonPaths(storeUrl: string, options: LocateOptions = {}): DaemonPaths {
  const env = options.env ?? process.env;
  const key = storeKey(storeUrl, options.cwd);
  const override = env.STATEHOUSE_SOCKET;
  let dir: string;
  let socket: string;
  if (override !== undefined && override !== "") {
    socket = resolve(options.cwd ?? process.cwd(), override);
    dir = dirname(socket);
  } else {
    dir = runtimeDir(env, options.create === true);
    socket = join(dir, `${sha256Hex(key).slice(0, 24)}.sock`);
  }
  checkSocketPath(socket);
  const base = socket.replace(/\.sock$/, "");
  return { dir, socket, discovery: `${base}.json`, log: `${base}.log`, token: `${base}.token`, storeKey: key };
}

/** Refuses a socket path the kernel would truncate (E_CONFIG), before anything is bound. */
export function checkSocketPath(socket: string): void {
  const bytes = Buffer.byteLength(socket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new ConfigError(
      `socket path is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a unix socket allows: ${socket} (set STATEHOUSE_SOCKET to a shorter path)`,
      { details: { socket, bytes, max: MAX_SOCKET_PATH_BYTES } },
    );
  }
}

/**
 * `$XDG_RUNTIME_DIR/statehouse` when XDG_RUNTIME_DIR is this user's own 0700 directory, else
 * `<tmp>/statehouse-<uid>`. Either way the directory must be ours, a real directory (not a
 * symlink) and 0700: anyone else who can write there could plant a socket and see our requests.
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env, create = false): string {
  const uid = process.getuid?.() ?? 0;
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && xdg !== "" && privateDir(xdg, uid)) return ensurePrivateDir(join(xdg, "statehouse"), uid, create);
  return ensurePrivateDir(join(tmpdir(), `statehouse-${uid}`), uid, create);
}

function privateDir(path: string, uid: number): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o777) === 0o700;
  } catch {
    return false;
  }
}

function ensurePrivateDir(path: string, uid: number, create: boolean): string {
  if (create) {
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new PermissionError(`cannot create the daemon directory ${path}: ${(err as Error).message}`, {
          cause: err,
          details: { path },
        });
      }
    }
  }
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (err) {
    // Not there: nothing is served from it (a CLI looking for a daemon just finds none).
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && !create) return path;
    throw new PermissionError(`cannot inspect the daemon directory ${path}: ${(err as Error).message}`, { cause: err, details: { path } });
  }
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o777) !== 0o700) {
    const what = st.isSymbolicLink()
      ? "a symlink"
      : !st.isDirectory()
        ? "not a directory"
        : st.uid !== uid
          ? `owned by uid ${st.uid}`
          : `mode ${(st.mode & 0o777).toString(8)}`;
    throw new PermissionError(`refusing the daemon directory ${path}: it is ${what}, not a 0700 directory of uid ${uid}`, {
      details: { path, uid: st.uid, mode: st.mode & 0o777 },
    });
  }
  return path;
}

/** The discovery record at a path, or undefined when there is none or it is not a valid record. */
export function readDiscovery(path: string): DiscoveryRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as Partial<DiscoveryRecord>;
    if (typeof r.socket !== "string" || typeof r.pid !== "number" || typeof r.version !== "string" || typeof r.store !== "string")
      return undefined;
    return r as DiscoveryRecord;
  } catch {
    return undefined;
  }
}
