import { createHash } from "node:crypto";
import { ConflictError, ValidationError } from "../errors.js";
import type { JsonValue } from "../json/types.js";
import { validateIdempotencyKey } from "../validation.js";
import type { Plan } from "./context.js";

export { validateIdempotencyKey as checkIdempotencyKey };

/**
 * Idempotent writes, written once on the SPI so every adapter has them.
 *
 * A write given an `idempotencyKey` records, in the same transaction as its effect, the key, a
 * fingerprint of the request and the result. A later write with the same key inside the window
 * finds that record in its own transaction and returns the recorded result, writing nothing (so
 * it takes no change sequence number); with other content it is refused with E_CONFLICT. Because
 * the record commits atomically with the effect, "applied" and "recorded" cannot part, whichever
 * process retries and whenever the first one died. A write that fails records nothing: its retry
 * runs again.
 */

/** Collection of idempotency records, one per key (its id is a hash of the key). */
export const IDEMPOTENCY = "idempotency";
/** Index of idempotency records by expiry time, for retention to find expired ones in order. */
export const IDEMPOTENCY_EXPIRES_INDEX = "expires";
/** How long a key is remembered by default: 24 hours, as HTTP APIs commonly keep theirs. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 86_400_000;
/** Why an idempotent write was refused: the key was used before for a different request. */
export const IDEMPOTENCY_KEY_REUSED = "idempotency-key-reused";

interface IdempotencyRecord {
  key: string;
  kind: string;
  fingerprint: string;
  result: JsonValue | null;
  at: string;
  expiresAt: string;
}

/** A window: a whole number of milliseconds from 1 to 30 days. */
export function checkIdempotencyWindow(ms: unknown): number {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < 1 || ms > 30 * DEFAULT_IDEMPOTENCY_WINDOW_MS) {
    throw new ValidationError("idempotencyWindowMs must be an integer from 1 to 2,592,000,000 (30 days)", {
      details: { issues: ["bad idempotencyWindowMs"] },
    });
  }
  return ms;
}

/** JSON with object keys sorted, so that equal requests print equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonical(v))).join(",")}]`;
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

/**
 * The fingerprint of a request: the operation, its arguments and its conditions (the key itself
 * excluded). Taken when the write is called, so a caller changing its objects later cannot change it.
 */
export function fingerprint(kind: string, request: unknown, condition: object | undefined): string {
  const { idempotencyKey: _key, ...rest } = (condition ?? {}) as Record<string, unknown>;
  return createHash("sha256")
    .update(canonical([kind, request ?? null, rest]))
    .digest("base64url");
}

function recordId(key: string): string {
  // Keys may hold any printable character; ids may not, so the record is named by the key's hash.
  return `k_${createHash("sha256").update(key).digest("hex")}`;
}

/** Wraps a plan: replays the recorded result of an earlier write with this key, or runs and records. */
export function idempotent<T>(plan: Plan<T>, key: string, kind: string, print: string, windowMs: number): Plan<T> {
  const id = recordId(key);
  return (tx, now) => {
    const found = tx.get(IDEMPOTENCY, id);
    if (found !== undefined) {
      const seen = found.value as unknown as IdempotencyRecord;
      if (seen.expiresAt > now) {
        if (seen.key !== key || seen.fingerprint !== print) {
          throw new ConflictError(
            `idempotency key ${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key)} was used at ${seen.at} for a different ` +
              `request (${seen.kind}); use a new key for a new request`,
            { details: { reason: IDEMPOTENCY_KEY_REUSED, kind: seen.kind, at: seen.at } },
          );
        }
        return seen.result as T;
      }
    }
    const result = plan(tx, now);
    const expiresAt = new Date(Date.parse(now) + windowMs).toISOString();
    const record: IdempotencyRecord = {
      key,
      kind,
      fingerprint: print,
      // The result as it would travel as JSON: what a replay returns.
      result: result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue),
      at: now,
      expiresAt,
    };
    tx.put(IDEMPOTENCY, id, record as unknown as JsonValue, { index: { [IDEMPOTENCY_EXPIRES_INDEX]: expiresAt } });
    return result;
  };
}
