import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import {
  CorruptError,
  IoError,
  LockTimeoutError,
  PermissionError,
  StorageFullError,
  type StatehouseError,
  isStatehouseError,
} from "@statehouse/core";
import { fromSystemError } from "@statehouse/core/spi";

/** True when the file system holding `file` has no block left for an unprivileged writer. */
function fileSystemFull(file: string): boolean {
  try {
    const s = statfsSync(dirname(file));
    return s.bavail === 0 || s.bfree === 0;
  } catch {
    return false;
  }
}

/**
 * The SQLite adapter's engine-error mapper (each adapter has one, `mapEngineError` in
 * `map-engine-error.ts`): maps what better-sqlite3 or the file system threw to statehouse's typed
 * errors. SQLite reports the extended result code (`SQLITE_IOERR_WRITE`, `SQLITE_READONLY_DIRECTORY`…)
 * in `code`; the primary code before the second underscore decides the type.
 */
export function mapEngineError(err: unknown, file: string, what: string): StatehouseError {
  if (isStatehouseError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return fromSystemError(err, `${what} (${file})`);
  const primary = code.split("_").slice(0, 2).join("_");
  const message = (err as Error).message;
  const details = { file, sqliteCode: code };
  switch (primary) {
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return new LockTimeoutError(`timed out waiting for another process's lock while ${what} (${file})`, { cause: err, details });
    case "SQLITE_FULL":
      return new StorageFullError(`storage full while ${what} (${file})`, { cause: err, details });
    case "SQLITE_CORRUPT":
    case "SQLITE_NOTADB":
      return new CorruptError(`corrupt store ${file} while ${what}: ${message}`, { cause: err, details });
    case "SQLITE_READONLY":
    case "SQLITE_PERM":
    case "SQLITE_AUTH":
      return new PermissionError(`permission denied while ${what} (${file}): ${message}`, { cause: err, details });
    case "SQLITE_CANTOPEN":
      return new PermissionError(`cannot open ${file} while ${what}: ${message}`, { cause: err, details });
    case "SQLITE_IOERR":
      // SQLite reports ENOSPC as SQLITE_FULL for ordinary writes, but growing the shared-memory
      // file or syncing on a full file system surfaces as an I/O error.
      if (fileSystemFull(file)) return new StorageFullError(`storage full while ${what} (${file})`, { cause: err, details });
      return new IoError(`I/O error while ${what} (${file}): ${message}`, { cause: err, details });
    case "SQLITE_ERROR":
    case "SQLITE_SCHEMA":
    case "SQLITE_MISMATCH":
    case "SQLITE_CONSTRAINT":
      // The adapter's SQL is fixed and its schema verified at open, so a statement failing here
      // means the schema or a row was damaged under it.
      return new CorruptError(`corrupt store ${file} while ${what}: ${message}`, { cause: err, details });
    default:
      return new IoError(`SQLite error while ${what} (${file}): ${message}`, { cause: err, details });
  }
}
