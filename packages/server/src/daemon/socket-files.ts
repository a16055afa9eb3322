import { connect } from "node:net";
import { lstatSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { ConflictError, IoError } from "@statehouse/core";
import { type DiscoveryRecord, readDiscovery } from "./locate.js";

/**
 * The socket and discovery files on disk: finding a stale socket, writing the discovery record
 * atomically, and removing both only while they are still this daemon's.
 */

/** What answers at a socket path: a live server, nothing (stale file, refused), or no file at all. */
export function probeSocket(path: string, timeoutMs = 1000): Promise<"live" | "refused" | "absent"> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => {
      // Accepted into the backlog but never served: something holds it, so not ours to replace.
      s.destroy();
      resolve("live");
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.destroy();
      resolve("live");
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === "ENOENT" ? "absent" : "refused");
    });
  });
}

/**
 * Makes way for binding at `path`, called with the store's lock held: a socket file that refuses
 * connections was left by a daemon that died (kill -9, a crash) and is removed; one that answers
 * belongs to a live server (another store's daemon sharing STATEHOUSE_SOCKET?) and is refused.
 */
export async function clearStaleSocket(path: string): Promise<boolean> {
  const state = await probeSocket(path);
  if (state === "absent") return false;
  if (state === "live") {
    throw new ConflictError(`another server is answering at ${path}; not replacing it`, { details: { socket: path } });
  }
  let isSocket = false;
  try {
    isSocket = lstatSocket(path).isSocket();
  } catch {
    return false;
  }
  if (!isSocket) throw new IoError(`${path} exists and is not a socket; not removing it`, { details: { socket: path } });
  rmSync(path, { force: true });
  return true;
}

/** Writes the discovery record 0600, atomically (a reader sees the old record or the new one). */
export function writeDiscovery(path: string, record: DiscoveryRecord): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: "w" });
  renameSync(tmp, path);
}

/** Removes the discovery record if it still names this process. */
export function removeDiscoveryIfOurs(path: string, pid = process.pid): boolean {
  const r = readDiscovery(path);
  if (r === undefined || r.pid !== pid) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * lstat for paths that may be sockets, in bigint form. On Node 20, a plain (Float64) stat of a
 * socket leaves the shared stat buffer in a state that makes the next CommonJS resolution through
 * a symlink fail (the adapter-file's lazy `proper-lockfile` import then throws "Cannot find module
 * 'graceful-fs'" at the first write). The bigint form uses a separate buffer.
 */
export function lstatSocket(path: string) {
  return lstatSync(path, { bigint: true });
}

/** The identity of the socket this daemon bound, to tell it from one bound later by another. */
export interface SocketIdentity {
  dev: bigint;
  ino: bigint;
}

export function socketIdentity(path: string): SocketIdentity | undefined {
  try {
    const st = lstatSocket(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

export function isSameSocket(path: string, id: SocketIdentity | undefined): boolean {
  const now = socketIdentity(path);
  return id !== undefined && now !== undefined && now.dev === id.dev && now.ino === id.ino;
}
