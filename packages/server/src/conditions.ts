import type { Condition } from "@statehouse/core";
import { ValidationError } from "@statehouse/core";
import type { FastifyRequest } from "fastify";

/** A revision as a strong ETag: `"3"`. */
export function etag(revision: number): string {
  return `"${revision}"`;
}

/**
 * The write condition of a request: `If-Match: "N"` → only if the revision is N (`"0"`: only if
 * absent); `If-None-Match: *` → only if absent. Weak or list ETags are refused: a revision is one number.
 */
export function conditionOf(request: FastifyRequest): Condition | undefined {
  const ifMatch = request.headers["if-match"];
  const ifNoneMatch = request.headers["if-none-match"];
  let condition: Condition | undefined;
  if (typeof ifMatch === "string") {
    const m = /^\s*"(0|[1-9][0-9]{0,15})"\s*$/.exec(ifMatch);
    if (m === null) {
      throw new ValidationError(
        `If-Match must be one strong ETag holding a revision, like "3"; got ${JSON.stringify(ifMatch.slice(0, 60))}`,
        {
          details: { issues: ["bad If-Match"], malformed: true },
        },
      );
    }
    condition = { ifRevision: Number(m[1]) };
  }
  if (typeof ifNoneMatch === "string") {
    if (ifNoneMatch.trim() !== "*") {
      throw new ValidationError("If-None-Match on a write must be *", { details: { issues: ["bad If-None-Match"], malformed: true } });
    }
    condition = { ...condition, ifAbsent: true };
  }
  const key = idempotencyKeyOf(request);
  if (key !== undefined) condition = { ...condition, idempotencyKey: key };
  return condition;
}

/**
 * The `Idempotency-Key` header (IETF httpapi draft): a retried write with the same key returns the
 * first result and changes nothing. Checked by the store (1 to 255 printable characters).
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers["idempotency-key"];
  if (Array.isArray(key))
    throw new ValidationError("send one Idempotency-Key header", { details: { issues: ["bad Idempotency-Key"], malformed: true } });
  return key;
}

/** True when the request carries a precondition header (a conflict is then a 412). */
export function isConditional(request: FastifyRequest): boolean {
  return request.headers["if-match"] !== undefined || request.headers["if-none-match"] !== undefined;
}
