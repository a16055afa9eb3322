import {
  ConfigError,
  CorruptError,
  IoError,
  LockTimeoutError,
  PermissionError,
  type StatehouseError,
  StorageFullError,
  UnavailableError,
  isStatehouseError,
} from "@statehouse/core";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOENT",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/**
 * True when the server could not be reached or the connection was lost: connection refused, a
 * socket that is gone, a server shutting down or restarting (57P0x), connection exceptions (08xxx),
 * and node-postgres's own "Connection terminated" errors, which carry no code.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code) || code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03") return true;
    // The server ended the session (idle in a transaction or idle too long): nothing of an open
    // transaction was committed, and a new connection works.
    if (code === "25P03" || code === "57P05") return true;
  }
  const message = err instanceof Error ? err.message : "";
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/**
 * The PostgreSQL adapter's engine-error mapper (each adapter has one, `mapEngineError` in
 * `map-engine-error.ts`): maps what node-postgres threw to statehouse's typed errors; a raw pg error never escapes.
 */
export function mapEngineError(err: unknown, where: string, what: string): StatehouseError {
  if (isStatehouseError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const details = { server: where, ...(typeof code === "string" ? { pgCode: code } : {}) };
  if (isUnavailable(err))
    return new UnavailableError(`the PostgreSQL server ${where} is unavailable while ${what}: ${message}`, { cause: err, details });
  if (typeof code !== "string") return new IoError(`PostgreSQL error while ${what} (${where}): ${message}`, { cause: err, details });
  if (code === "55P03" || code === "57014") {
    return new LockTimeoutError(`timed out waiting for another client's lock while ${what} (${where}): ${message}`, {
      cause: err,
      details,
    });
  }
  if (code === "53100")
    return new StorageFullError(`the PostgreSQL server's disk is full while ${what} (${where})`, { cause: err, details });
  if (code === "42501" || code.startsWith("28")) {
    return new PermissionError(`permission denied while ${what} (${where}): ${message}`, { cause: err, details });
  }
  if (code === "3D000") return new ConfigError(`the database of ${where} does not exist: ${message}`, { cause: err, details });
  if (code.startsWith("42") || code === "3F000" || code.startsWith("22") || code.startsWith("23")) {
    // The adapter's SQL is fixed and the schema versioned, so a missing table or a failed
    // constraint means the schema was changed or damaged under it.
    return new CorruptError(`the store's schema in ${where} is damaged while ${what}: ${message}`, { cause: err, details });
  }
  return new IoError(`PostgreSQL error ${code} while ${what} (${where}): ${message}`, { cause: err, details });
}
