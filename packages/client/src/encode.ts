import type { Condition, JsonValue } from "@statehouse/core";
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
  return h;
}

export type { JsonValue };
