import type { Condition, JsonValue } from "@statehouse/core";
import { ValidationError } from "@statehouse/core/errors";
import { validateId, validateIdempotencyKey, validateValue } from "@statehouse/core/validation";

// Checked here only for being JSON (no NaN, undefined, cycles…), as the library does before
// anything is sent; the depth and size limits are the daemon's store's, applied there.
const JSON_ONLY = { maxDepth: 1000, maxBytes: Number.POSITIVE_INFINITY };

/** A value as JSON text, or the library's E_VALIDATION for anything that is not JSON. */
export function jsonText(value: unknown, what = "value"): string {
  return validateValue(value, JSON_ONLY, what);
}

/** An id as a path segment: validated as the library does (E_INVALID_PATH), then percent-encoded. */
export function seg(id: unknown, what: string): string {
  return encodeURIComponent(validateId(id, what));
}

/** Query-string parameters, skipping undefined ones. */
export function qs(params: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) if (v !== undefined) parts.push(`${k}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** A write condition as HTTP preconditions. */
export function conditionHeaders(condition: Condition | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (condition?.ifRevision !== undefined) h["if-match"] = `"${condition.ifRevision}"`;
  if (condition?.ifAbsent === true) h["if-none-match"] = "*";
  if (condition?.idempotencyKey !== undefined) h["idempotency-key"] = validateIdempotencyKey(condition.idempotencyKey);
  if (condition?.ifLease !== undefined) h["statehouse-lease"] = leaseHeader(condition.ifLease);
  return h;
}

/**
 * `ifLease: { name, token }` as the daemon's `Statehouse-Lease: NAME;token=N` header, checked first
 * as the library checks a fence (E_INVALID_PATH for a bad name, E_VALIDATION for a bad token).
 */
export function leaseHeader(fence: unknown): string {
  const f = fence as { name?: unknown; token?: unknown } | null;
  if (typeof f !== "object" || f === null)
    throw new ValidationError("ifLease is { name, token }", { details: { issues: ["bad ifLease"] } });
  const name = validateId(f.name, "lease name");
  if (typeof f.token !== "number" || !Number.isSafeInteger(f.token) || f.token < 1) {
    throw new ValidationError(`a lease token is a positive integer, got ${String(f.token)}`, { details: { issues: ["bad token"] } });
  }
  return `${name};token=${f.token}`;
}

export type { JsonValue };
