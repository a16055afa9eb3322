import { ValidationError } from "../errors.js";
import { setByTokens } from "./edit.js";
import { getByTokens, parsePointer, shown } from "./pointer.js";
import type { JsonValue } from "./types.js";

export interface IncrementResult {
  /** The new document (`doc` itself is never modified). */
  document: JsonValue;
  /** The number now at the pointer. */
  value: number;
}

/**
 * Adds `by` (default 1) to the number at `pointer` and returns the new document and number.
 *
 * A missing value counts as 0, and missing intermediates are created as objects exactly as
 * `setAt` does, so `incrementAt({}, "/stats/toolCalls")` gives `{stats: {toolCalls: 1}}`.
 * Both numbers and the sum must stay within ±(2^53 − 1), where integers are exact, whether or
 * not they are integers. The check is here, and not left to the store, because a sum that
 * silently loses precision is still a valid JSON number.
 * @throws ValidationError when the value there is not a number, `by` is not a finite number, or the
 *   result would be unsafe or not finite.
 * @throws InvalidPathError for a malformed pointer, `__proto__`, `-`, or a scalar in the way.
 */
export function incrementAt(doc: JsonValue, pointer: string, by = 1): IncrementResult {
  const tokens = parsePointer(pointer);
  if (typeof by !== "number" || !Number.isFinite(by)) {
    throw new ValidationError(`cannot increment ${shown(pointer)}: the increment must be a finite number, got ${String(by)}`, {
      details: { pointer, issues: ["the increment is not a finite number"] },
    });
  }
  const found = getByTokens(doc, tokens, pointer);
  // Only a missing value counts as 0; null is a value, and not a number.
  const current = found === undefined ? 0 : found;
  if (typeof current !== "number") {
    const kind = current === null ? "null" : Array.isArray(current) ? "an array" : `a ${typeof current}`;
    throw new ValidationError(`cannot increment ${shown(pointer)}: the value there is ${kind}, not a number`, {
      details: { pointer, issues: [`${pointer || "/"}: not a number`] },
    });
  }
  const value = current + by;
  // Integer or not, a number beyond ±(2^53 − 1) cannot represent a sum exactly (0.5 + 2^60 is
  // 2^60): the operands and the result must all lie in the safe range, where a sum of integers is
  // exact and a fractional one is at least as precise as its operands.
  const limit = Number.MAX_SAFE_INTEGER;
  if (!(Math.abs(current) <= limit && Math.abs(by) <= limit && Math.abs(value) <= limit)) {
    throw new ValidationError(
      `cannot increment ${shown(pointer)}: ${current} + ${by} is outside the safe integer range ±(2^53 − 1), ` +
        "where numbers lose precision",
      { details: { pointer, issues: [`${pointer || "/"}: unsafe result`] } },
    );
  }
  return { document: setByTokens(doc, tokens, pointer, value, "increment"), value };
}
