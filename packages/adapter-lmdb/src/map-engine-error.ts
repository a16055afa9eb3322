import { statfsSync } from "node:fs";
import {
  CorruptError,
  IoError,
  LockTimeoutError,
  type StatehouseError,
  StorageFullError,
  ValidationError,
  isStatehouseError,
} from "@statehouse/core";
import { fromSystemError } from "@statehouse/core/spi";

/** LMDB's own return codes (lmdb.h), as lmdb-js puts them in `error.code`. */
export const MDB = {
  PAGE_NOTFOUND: -30797,
  CORRUPTED: -30796,
  PANIC: -30795,
  VERSION_MISMATCH: -30794,
  INVALID: -30793,
  MAP_FULL: -30792,
  READERS_FULL: -30790,
  TXN_FULL: -30788,
  INCOMPATIBLE: -30784,
  BAD_TXN: -30782,
  BAD_VALSIZE: -30781,
} as const;

const ERRNO: Record<number, string> = { 1: "EPERM", 5: "EIO", 13: "EACCES", 28: "ENOSPC", 30: "EROFS", 122: "EDQUOT" };

const CORRUPTION = new Set<number>([MDB.PAGE_NOTFOUND, MDB.CORRUPTED, MDB.VERSION_MISMATCH, MDB.INVALID, MDB.INCOMPATIBLE]);

/** The numeric LMDB/errno code of an lmdb-js error, if it has one. */
export function lmdbCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "number") return code;
  // Some lmdb-js paths only put the LMDB name in the message.
  const m = /MDB_([A-Z_]+)/.exec(String((err as Error | null)?.message ?? ""));
  if (m !== null) {
    const name = m[1] as keyof typeof MDB;
    if (name in MDB) return MDB[name];
  }
  return undefined;
}

/** Whether the environment must be closed and reopened before it can be used again. */
export function needsReopen(err: unknown): boolean {
  const code = lmdbCode(err);
  return code === MDB.PANIC || code === MDB.BAD_TXN || code === 28 || code === 122 || code === 5;
}

/**
 * The LMDB adapter's engine-error mapper (each adapter has one, `mapEngineError` in
 * `map-engine-error.ts`): maps an lmdb-js or file-system error to a typed statehouse error.
 * lmdb-js errors carry LMDB's negative codes or a positive errno in `code`; fs errors carry string codes.
 */
export function mapEngineError(err: unknown, what: string, file: string): StatehouseError {
  if (isStatehouseError(err)) return err;
  // lmdb-js issue 368: a failed commit's error carries a second, separately rejected promise.
  guardCommitError(err);
  const code = lmdbCode(err);
  if (code === undefined) return fromSystemError(err, what);
  if (CORRUPTION.has(code)) {
    return new CorruptError(`corrupt store while ${what}: ${file} (${(err as Error).message})`, { cause: err, details: { file } });
  }
  if (code === MDB.MAP_FULL) return new StorageFullError(`storage full while ${what}: the map of ${file} cannot grow`, { cause: err });
  if (code === MDB.TXN_FULL) {
    return new ValidationError(`transaction too large while ${what}`, { cause: err, details: { issues: ["transaction too large"] } });
  }
  if (code === MDB.READERS_FULL) {
    return new LockTimeoutError(`no free LMDB reader slot while ${what}: raise maxReaders`, { cause: err });
  }
  const errno = ERRNO[code];
  if (errno !== undefined) return fromSystemError(Object.assign(new Error((err as Error).message), { code: errno, cause: err }), what);
  return new IoError(`I/O error while ${what}: ${(err as Error).message}`, { cause: err });
}

/**
 * LMDB reports a write that the file system cut short (the disk filled up in the middle of it)
 * as EIO, not ENOSPC. When the file system of the store has less room left than the write
 * needed plus a margin, that EIO is a full disk: the StorageFullError to throw; else undefined.
 */
export function fullDiskError(err: unknown, dir: string, bytesNeeded: number, what: string): StorageFullError | undefined {
  if (lmdbCode(err) !== 5) return undefined;
  try {
    const fs = statfsSync(dir);
    if (fs.bavail * fs.bsize < 4 * 1024 * 1024 + 2 * bytesNeeded) {
      return new StorageFullError(`storage full while ${what} (the file system of ${dir} is full)`, { cause: err });
    }
  } catch {
    // statfs itself failing says nothing about free space: keep the EIO.
  }
  return undefined;
}

/**
 * lmdb-js (issue 368) attaches `commitError`, a promise that is rejected and never handled, to
 * the error of a failed asynchronous commit: catching the write's own rejection is not enough.
 * Attaching a handler here keeps it from surfacing as an unhandled rejection.
 */
export function guardCommitError(err: unknown): void {
  const p = (err as { commitError?: unknown } | null)?.commitError;
  if (p !== null && typeof p === "object" && typeof (p as Promise<unknown>).catch === "function") {
    (p as Promise<unknown>).catch(() => undefined);
  }
}
