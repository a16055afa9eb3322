import {
  ClosedError,
  ConfigError,
  ConflictError,
  CorruptError,
  type ErrorCode,
  InvalidPathError,
  InvalidQueryError,
  IoError,
  LockTimeoutError,
  NotFoundError,
  PermissionError,
  type StatehouseError,
  type StatehouseErrorOptions,
  StorageFullError,
  UnavailableError,
  ValidationError,
} from "@statehouse/core/errors";

type ErrorClass = new (message: string, options?: StatehouseErrorOptions) => StatehouseError;

const CLASSES: Record<ErrorCode, ErrorClass> = {
  E_NOT_FOUND: NotFoundError,
  E_CONFLICT: ConflictError,
  E_VALIDATION: ValidationError,
  E_INVALID_QUERY: InvalidQueryError,
  E_INVALID_PATH: InvalidPathError,
  E_LOCK_TIMEOUT: LockTimeoutError,
  E_CORRUPT: CorruptError,
  E_STORAGE_FULL: StorageFullError,
  E_PERMISSION: PermissionError,
  E_CLOSED: ClosedError,
  E_CONFIG: ConfigError,
  E_IO: IoError,
  E_UNAVAILABLE: UnavailableError,
};

/**
 * The library error a problem+json answer stands for: same class, code, message and details (so a
 * conflict's `currentRevision` and a validation's `issues` survive the trip). An answer that is not
 * a problem (a proxy's page, say) becomes E_IO, or E_UNAVAILABLE for a 502–504.
 */
export function errorFromProblem(status: number, body: unknown, what: string): StatehouseError {
  const p = body as { code?: unknown; detail?: unknown; details?: unknown; currentRevision?: unknown } | undefined;
  const code = typeof p?.code === "string" && p.code in CLASSES ? (p.code as ErrorCode) : undefined;
  if (code === undefined) {
    const Cls = status >= 502 && status <= 504 ? UnavailableError : IoError;
    return new Cls(`${what}: the daemon answered ${status} without a problem document`, { details: { status } });
  }
  const details = typeof p?.details === "object" && p.details !== null ? { ...(p.details as Record<string, unknown>) } : {};
  if (code === "E_CONFLICT" && typeof p?.currentRevision === "number") details.currentRevision = p.currentRevision;
  details.status = status;
  return new CLASSES[code](typeof p?.detail === "string" ? p.detail : `${what} failed with ${code}`, { details });
}
