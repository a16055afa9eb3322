import { type ErrorCode, isStatehouseError } from "@statehouse/core";

/** An RFC 9457 problem document, with the library's error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  /** True when the same request may succeed later unchanged (a lock timeout, a closing daemon). */
  retryable: boolean;
  /** For conflicts: the record's current revision (0 = absent). */
  currentRevision?: number;
  details?: Record<string, unknown>;
}

const STATUS: Record<ErrorCode, number> = {
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_VALIDATION: 422,
  E_INVALID_QUERY: 400,
  E_INVALID_PATH: 400,
  E_LOCK_TIMEOUT: 503,
  E_CORRUPT: 500,
  E_STORAGE_FULL: 507,
  E_PERMISSION: 500,
  E_CLOSED: 503,
  E_CONFIG: 422,
  E_IO: 500,
  E_UNAVAILABLE: 503,
};

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
  507: "Insufficient Storage",
};

const RETRYABLE = new Set<ErrorCode>(["E_LOCK_TIMEOUT", "E_CLOSED", "E_UNAVAILABLE"]);

export function problem(status: number, code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `urn:statehouse:error:${code}`,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
    retryable: RETRYABLE.has(code),
    ...extra,
  };
}

/**
 * Maps anything thrown while serving a request to a problem. `conditional` says the request carried
 * If-Match or If-None-Match: a conflict then is a failed precondition (412), else a plain 409.
 */
export function toProblem(err: unknown, conditional: boolean): Problem {
  if (isStatehouseError(err)) {
    let status = STATUS[err.code] ?? 500;
    // A refused lease fence (or a held lease) is a 409 even beside If-Match: the precondition that
    // failed is the lease's, and the problem carries its current token, not a revision.
    if (err.code === "E_CONFLICT" && conditional && err.details.lease === undefined) status = 412;
    if (err.code === "E_VALIDATION" && err.details.malformed === true) status = 400;
    if (err.code === "E_PERMISSION" && typeof err.details.httpStatus === "number") status = err.details.httpStatus;
    const extra: Partial<Problem> = { details: err.details };
    if (err.code === "E_CONFLICT")
      extra.currentRevision = typeof err.details.currentRevision === "number" ? err.details.currentRevision : 0;
    return problem(status, err.code, err.message, extra);
  }
  // fastify's own errors (body too large, unsupported media type, schema validation, timeouts).
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; validation?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (e?.validation !== undefined) return problem(422, "E_VALIDATION", message, { details: { issues: [message] } });
  const status = typeof e?.statusCode === "number" ? e.statusCode : 500;
  if (status === 413) return problem(413, "E_VALIDATION", message, { details: { issues: ["body too large"] } });
  if (status === 415) return problem(415, "E_VALIDATION", message, { details: { issues: ["unsupported content type"] } });
  if (status === 408) return problem(408, "E_UNAVAILABLE", message);
  if (status === 503) return problem(503, "E_UNAVAILABLE", message);
  if (status >= 400 && status < 500) return problem(400, "E_VALIDATION", message, { details: { issues: [message], malformed: true } });
  return problem(500, "E_IO", `internal error: ${message}`);
}
