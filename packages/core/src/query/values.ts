import type { JsonValue } from "../json/types.js";
import type { CompareOp } from "./ast.js";

/** RFC 9535's "Nothing": the absence of a value (an empty node list where a value was wanted). */
export const NOTHING: unique symbol = Symbol("Nothing");
export type Nothing = typeof NOTHING;
export type MaybeValue = JsonValue | Nothing;

/**
 * Where evaluation reports its work, so that a query's budget covers more than node visits:
 * every pair of containers that equality descends into is a visit, and long strings are charged
 * by length before they are compared, measured or matched.
 */
export interface WorkMeter {
  visit(): void;
  /** Counts `units` visits at once. */
  charge(units: number): void;
  /** Reads the clock now, after work too coarse to count (a regular expression). */
  checkClock(): void;
  /** Fails the query with a limit error: `what` says what was too large. */
  refuse(limit: string, max: number, what: string): never;
}

/** String work is charged one visit per this many UTF-16 code units. */
export const CHARS_PER_VISIT = 8;

export function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Own-property test: never consults the prototype chain (`constructor`, `__proto__`…). */
export function hasOwnKey(object: object, key: string): boolean {
  return hasOwn.call(object, key);
}

/** RFC 9535 §2.3.5.2.2 comparison of two values (either may be Nothing). */
export function compareValues(op: CompareOp, a: MaybeValue, b: MaybeValue, meter: WorkMeter): boolean {
  switch (op) {
    case "==":
      return equals(a, b, meter);
    case "!=":
      return !equals(a, b, meter);
    case "<":
      return lessThan(a, b, meter);
    case ">":
      return lessThan(b, a, meter);
    case "<=":
      return lessThan(a, b, meter) || equals(a, b, meter);
    case ">=":
      return lessThan(b, a, meter) || equals(a, b, meter);
  }
}

function lessThan(a: MaybeValue, b: MaybeValue, meter: WorkMeter): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") {
    meter.charge(Math.min(a.length, b.length) / CHARS_PER_VISIT);
    return compareCodePoints(a, b) < 0;
  }
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
 * stack. Every comparison is charged: a container pair is a visit and its elements (scalars too)
 * are charged before they are compared, so comparing two equal million-element arrays costs a
 * million visits and is aborted at the budget, not run to the end for every filtered node. An
 * object's members are charged as soon as they are enumerated, the first object's before the
 * second's are, so a huge object is enumerated at most once before the query is aborted.
 */
export function equals(a: MaybeValue, b: MaybeValue, meter: WorkMeter): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const stack: [JsonValue, JsonValue][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    meter.visit();
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      meter.charge(x.length);
      for (let i = 0; i < x.length; i++) stack.push([x[i]!, y[i]!]);
    } else {
      if (Array.isArray(y)) return false;
      const keys = Object.keys(x);
      meter.charge(keys.length);
      const count = Object.keys(y).length;
      meter.charge(count);
      if (keys.length !== count) return false;
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
