import { AsyncLocalStorage } from "node:async_hooks";

/**
 * A command the daemon runs for the thin client (`POST /v1/cli`) must not touch the daemon
 * process's own stdin or the files of its working directory: it refuses (ForwardRefused) before
 * anything is written, and the client runs the command itself. The flag is per command run, not
 * per process, since the daemon runs many at once.
 */
const forwarded = new AsyncLocalStorage<true>();

/** Internal control flow between a refusal and the daemon's runner; never shown to a user. */
export class ForwardRefused {
  constructor(readonly reason: string) {}
}

/** Runs `fn` as a command forwarded to the daemon. */
export function runForwarded<T>(fn: () => Promise<T>): Promise<T> {
  return forwarded.run(true, fn);
}

/** Throws ForwardRefused when running in the daemon for a thin client: `what` needs the client's own process. */
export function refuseWhenForwarded(what: string): void {
  if (forwarded.getStore() === true) throw new ForwardRefused(what);
}
