import type { Condition, LeaseFence } from "@statehouse/core";
import { ValidationError, validateId } from "@statehouse/core";
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
  const lease = leaseOf(request);
  if (lease !== undefined) condition = { ...condition, ifLease: lease };
  return condition;
}

/** The request header that fences a write with a lease: `Statehouse-Lease: NAME;token=N`. */
export const LEASE_HEADER = "statehouse-lease";

/**
 * `Statehouse-Lease: NAME;token=N` → the write's `ifLease`: refused (409, with the lease's current
 * token in the problem's details) unless N is the lease's current, unexpired token. The name is a
 * lease id as the library validates it (400 E_INVALID_PATH otherwise); the token a positive integer.
 */
export function leaseOf(request: FastifyRequest): LeaseFence | undefined {
  const raw = request.headers[LEASE_HEADER];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw))
    throw new ValidationError("send one Statehouse-Lease header", { details: { issues: ["bad Statehouse-Lease"], malformed: true } });
  const m = /^\s*([^;\s]+)\s*;\s*token\s*=\s*([1-9][0-9]{0,15})\s*$/.exec(raw);
  const token = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !Number.isSafeInteger(token)) {
    throw new ValidationError(`Statehouse-Lease is NAME;token=N (N a positive integer); got ${JSON.stringify(raw.slice(0, 60))}`, {
      details: { issues: ["bad Statehouse-Lease"], malformed: true },
    });
  }
  return { name: validateId(m[1], "lease name"), token };
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
