import type { RootDatabase, RootDatabaseOptionsWithPath } from "lmdb";
import { open } from "./lmdb-engine.js";

/** Tries of an open that meets another process's open of the same environment. */
const OPEN_ATTEMPTS = 5;
/** Something to wait on synchronously between tries (lmdb-js's open is synchronous). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** lmdb-js's error when another process's open got in the way of this one's first read transaction. */
function isOpenRace(err: unknown): boolean {
  return /No transaction to renew|No current read transaction available/.test(String((err as Error | undefined)?.message ?? err));
}

/**
 * lmdb-js's `open`, tried again when it fails with "No transaction to renew" / "No current read
 * transaction available": lmdb-js reports that now and then while other processes open or read
 * the same environment (seen about once in 500 opens of the mutex by four CLI processes at once on
 * a loaded machine). It is transient, so the open is tried a few times, a few milliseconds apart,
 * before the last error is thrown to the caller (which maps it to a statehouse error).
 */
export function openRetrying(options: RootDatabaseOptionsWithPath): RootDatabase {
  for (let attempt = 1; ; attempt++) {
    try {
      return open(options);
    } catch (err) {
      if (attempt >= OPEN_ATTEMPTS || !isOpenRace(err)) throw err;
      Atomics.wait(PAUSE, 0, 0, 2 + Math.random() * 8);
    }
  }
}
