import { ValidationError } from "../errors.js";
import { checkFence } from "./leases.js";
import type { Condition } from "./types.js";

/**
 * A copy of a write's condition, taken when the write is called. Its plan judges the condition at
 * commit, later (a microtask on the memory adapter, a turn of the event loop on the file adapter,
 * after a read for some operations): it must judge the revision and the lease the caller passed
 * then, not what the caller's object (or a getter) holds by the time of the commit. Each field is
 * read once; the lease fence is validated here as `run` would.
 */
export function ownCondition(condition: Condition | undefined): Condition | undefined {
  if (condition === undefined) return undefined;
  if (typeof condition !== "object" || condition === null) {
    throw new ValidationError("a write's condition is an object ({ ifRevision?, ifAbsent?, ifLease?, idempotencyKey? })", {
      details: { issues: ["condition not an object"] },
    });
  }
  const { ifRevision, ifAbsent, ifLease, idempotencyKey } = condition;
  return Object.freeze({
    ...(ifRevision !== undefined && { ifRevision }),
    ...(ifAbsent !== undefined && { ifAbsent }),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    ...(ifLease !== undefined && { ifLease: checkFence(ifLease) }),
  });
}
