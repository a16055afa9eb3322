import { createHash } from "node:crypto";
import { type Server, createServer } from "node:net";
import { ConflictError, IoError } from "@statehouse/core";

/**
 * One daemon per store. The lock is a listening socket in Linux's abstract namespace, named from
 * the store's key: the kernel gives the name to one process at a time and takes it back the
 * moment that process dies, kill -9 included. So there is no lock file to go stale, and no
 * check-then-take race between two daemons replacing a dead one (a pid file has both problems).
 */
export interface StoreLock {
  readonly name: string;
  release(): Promise<void>;
}

/** The lock's abstract name for a store key (uid included: users never share a daemon). */
export function lockName(storeKey: string): string {
  const uid = process.getuid?.() ?? 0;
  return `\0statehouse-${uid}-${createHash("sha256").update(storeKey).digest("hex").slice(0, 32)}`;
}

/** Takes the store's lock, or throws E_CONFLICT ("already running") when another daemon holds it. */
export async function acquireStoreLock(storeKey: string, socket: string): Promise<StoreLock> {
  if (process.platform !== "linux") {
    throw new IoError(`statehouse serve needs Linux (its per-store lock is an abstract unix socket); this is ${process.platform}`);
  }
  const name = lockName(storeKey);
  const server: Server = createServer((conn) => conn.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        reject(
          new ConflictError(`a statehouse daemon is already running for this store (socket ${socket})`, {
            details: { socket, store: storeKey },
          }),
        );
      } else {
        reject(new IoError(`cannot take the daemon lock: ${err.message}`, { cause: err }));
      }
    });
    server.listen(name, () => resolve());
  });
  // The lock must not keep an otherwise finished daemon alive.
  server.unref();
  return {
    name,
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
