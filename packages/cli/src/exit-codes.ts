/**
 * Exit statuses of the `statehouse` command. Part of the public contract (scripts branch on
 * them), documented in the README: never renumber, only append.
 */
export const EXIT_CODES = {
  OK: 0,
  /** A bug or an error statehouse does not know (not a StatehouseError). */
  UNEXPECTED: 1,
  /** The command line itself is wrong: unknown command or option, missing or extra argument. */
  USAGE: 2,
  E_NOT_FOUND: 3,
  E_CONFLICT: 4,
  E_VALIDATION: 5,
  E_INVALID_QUERY: 6,
  E_INVALID_PATH: 7,
  E_LOCK_TIMEOUT: 8,
  E_CORRUPT: 9,
  E_STORAGE_FULL: 10,
  E_PERMISSION: 11,
  E_CLOSED: 12,
  E_CONFIG: 13,
  E_IO: 14,
  /** A server the store needs (the daemon, a database server) cannot be reached. */
  E_UNAVAILABLE: 15,
} as const;

/** The code the CLI reports for a usage error (not a store error, so not one of core's codes). */
export const USAGE_CODE = "E_USAGE";

// The brand core puts on every StatehouseError; checked here without importing core, so that
// reporting an error never has to load the library.
const BRAND = Symbol.for("statehouse.error");

export interface ErrorShape {
  code: string;
  message: string;
  exitStatus: number;
  details: Record<string, unknown>;
}

/** True for a usage error made by `usageError()`. */
export function isUsageError(err: unknown): boolean {
  return isBranded(err) && (err as { details?: { kind?: unknown } }).details?.kind === "usage";
}

function isBranded(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** The code, message, exit status and details the CLI reports for any thrown value. */
export function describeError(err: unknown): ErrorShape {
  if (isUsageError(err)) {
    const e = err as { message: string; details: Record<string, unknown> };
    const { kind: _kind, ...details } = e.details;
    return { code: USAGE_CODE, message: e.message, exitStatus: EXIT_CODES.USAGE, details };
  }
  if (isBranded(err)) {
    const e = err as { code: string; message: string; details?: Record<string, unknown> };
    const status = (EXIT_CODES as Record<string, number>)[e.code];
    return { code: e.code, message: e.message, exitStatus: status ?? EXIT_CODES.UNEXPECTED, details: e.details ?? {} };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "E_UNEXPECTED", message, exitStatus: EXIT_CODES.UNEXPECTED, details: {} };
}
