/**
 * One error base class with stable codes. Codes are part of the public contract: the CLI maps
 * each to its own exit status and programs branch on them, so they never change meaning.
 */
export const ERROR_CODES = [
  "E_NOT_FOUND",
  "E_CONFLICT",
  "E_VALIDATION",
  "E_INVALID_QUERY",
  "E_INVALID_PATH",
  "E_LOCK_TIMEOUT",
  "E_CORRUPT",
  "E_STORAGE_FULL",
  "E_PERMISSION",
  "E_CLOSED",
  "E_CONFIG",
  "E_IO",
  "E_UNAVAILABLE",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

// A registry symbol, not a class identity, so that errors thrown by a second copy of this
// package (two versions in one node_modules tree) are still recognised.
const BRAND = Symbol.for("statehouse.error");

export interface StatehouseErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class StatehouseError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: StatehouseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StatehouseError";
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isStatehouseError(value);
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True for any statehouse error, from any copy of this package; narrows to one code if given. */
export function isStatehouseError(value: unknown, code?: ErrorCode): value is StatehouseError {
  if (typeof value !== "object" || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}

function defineError<C extends ErrorCode>(code: C, name: string) {
  const cls = class extends StatehouseError {
    constructor(message: string, options: StatehouseErrorOptions = {}) {
      super(code, message, options);
      this.name = name;
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return isStatehouseError(value, code);
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

export class NotFoundError extends defineError("E_NOT_FOUND", "NotFoundError") {}
export class ValidationError extends defineError("E_VALIDATION", "ValidationError") {
  /** The individual problems, each a human-readable sentence. */
  get issues(): string[] {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as string[]) : [this.message];
  }
}
export class InvalidQueryError extends defineError("E_INVALID_QUERY", "InvalidQueryError") {}
export class InvalidPathError extends defineError("E_INVALID_PATH", "InvalidPathError") {}
export class LockTimeoutError extends defineError("E_LOCK_TIMEOUT", "LockTimeoutError") {}
export class CorruptError extends defineError("E_CORRUPT", "CorruptError") {}
export class StorageFullError extends defineError("E_STORAGE_FULL", "StorageFullError") {}
export class PermissionError extends defineError("E_PERMISSION", "PermissionError") {}
export class ClosedError extends defineError("E_CLOSED", "ClosedError") {}
export class ConfigError extends defineError("E_CONFIG", "ConfigError") {
  get issues(): string[] {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as string[]) : [this.message];
  }
}
export class IoError extends defineError("E_IO", "IoError") {}
/** A server the store needs (the daemon, a database server) cannot be reached or went away. Retryable. */
export class UnavailableError extends defineError("E_UNAVAILABLE", "UnavailableError") {}

/** A conditional write whose condition failed. Carries the record's current revision (0 = absent). */
export class ConflictError extends defineError("E_CONFLICT", "ConflictError") {
  get currentRevision(): number {
    const r = this.details.currentRevision;
    return typeof r === "number" ? r : 0;
  }
}

export function conflict(collection: string, id: string, currentRevision: number, expected: string): ConflictError {
  return new ConflictError(
    `conflict on ${collection}/${id}: expected ${expected}, current revision is ${currentRevision === 0 ? "absent" : currentRevision}`,
    { details: { collection, id, currentRevision } },
  );
}

/**
 * Maps an operating-system error to a typed one. Adapters call it at their I/O boundary so that
 * a full disk or a denied permission never surfaces as a bare `ENOSPC`.
 */
export function fromSystemError(err: unknown, what: string): StatehouseError {
  if (isStatehouseError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
    case "SQLITE_FULL":
      return new StorageFullError(`storage full while ${what}`, { cause: err });
    case "EACCES":
    case "EPERM":
    case "EROFS":
    case "SQLITE_READONLY":
    case "SQLITE_PERM":
    case "SQLITE_CANTOPEN":
      return new PermissionError(`permission denied while ${what}`, { cause: err });
    case "SQLITE_CORRUPT":
    case "SQLITE_NOTADB":
      return new CorruptError(`corrupt store while ${what}`, { cause: err });
    default:
      return new IoError(`I/O error while ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
