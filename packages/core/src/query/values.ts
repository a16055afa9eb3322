import type { JsonValue } from "../json/types.js";
import type { CompareOp } from "./ast.js";

/** RFC 9535's "Nothing": the absence of a value (an empty node list where a value was wanted). */
export const NOTHING: unique symbol = Symbol("Nothing");
export type Nothing = typeof NOTHING;
export type MaybeValue = JsonValue | Nothing;

/** Called for every pair of containers that equality descends into, so that it is budgeted. */
export type WorkTick = () => void;

export function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Own-property test: never consults the prototype chain (`constructor`, `__proto__`…). */
export function hasOwnKey(object: object, key: string): boolean {
  return hasOwn.call(object, key);
}

/** RFC 9535 §2.3.5.2.2 comparison of two values (either may be Nothing). */
export function compareValues(op: CompareOp, a: MaybeValue, b: MaybeValue, tick: WorkTick): boolean {
  switch (op) {
    case "==":
      return equals(a, b, tick);
    case "!=":
      return !equals(a, b, tick);
    case "<":
      return lessThan(a, b);
    case ">":
      return lessThan(b, a);
    case "<=":
      return lessThan(a, b) || equals(a, b, tick);
    case ">=":
      return lessThan(b, a) || equals(a, b, tick);
  }
}

function lessThan(a: MaybeValue, b: MaybeValue): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b) < 0;
  return false;
}

/**
 * Orders strings by Unicode scalar value, as RFC 9535 requires, where JavaScript's `<` orders by
 * UTF-16 code unit: the two differ when a surrogate pair (U+10000 and up) meets U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

// Surrogates move above U+E000–U+FFFF; the rest keeps its order.
function rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * Deep equality of JSON values, iterative so that a hand-built deep document cannot overflow the
 * stack; `tick` is called per container pair so a huge comparison stays within the query budget.
 */
export function equals(a: MaybeValue, b: MaybeValue, tick: WorkTick): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const stack: [JsonValue, JsonValue][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    tick();
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i]!, y[i]!]);
    } else {
      if (Array.isArray(y)) return false;
      const keys = Object.keys(x);
      if (keys.length !== Object.keys(y).length) return false;
      for (const key of keys) {
        if (!hasOwn.call(y, key)) return false;
        stack.push([x[key]!, (y as { [key: string]: JsonValue })[key]!]);
      }
    }
  }
  return true;
}

/** Length in Unicode scalar values (RFC 9535 `length()`), not UTF-16 code units. */
export function codePointLength(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
