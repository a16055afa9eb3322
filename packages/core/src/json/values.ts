import { ValidationError } from "../errors.js";
import { isForbiddenKey } from "../validation.js";
import { escapeToken } from "./pointer.js";
import type { JsonObject, JsonValue } from "./types.js";
import { setOwn } from "./spine.js";

/**
 * Nesting beyond which a value handed to these operations is refused outright. Far above the
 * store's own limit (default 64, checked afterwards by `validateValue`); it exists so that the
 * recursive merge, equality and copy below can never exhaust the stack, and so that a cyclic
 * value is refused instead of scanned forever.
 */
export const MAX_VALUE_DEPTH = 1000;

/**
 * Checks a value that is about to be inserted (a `setAt` value, a patch's `value`, a merge patch):
 * plain JSON, and no key `__proto__` at any depth. Lighter than `validateValue` (no serialisation),
 * since the store validates the whole resulting document anyway.
 * @throws ValidationError naming where in the value the problem is.
 */
export function assertJsonValue(value: unknown, what: string): asserts value is JsonValue {
  if (typeof value !== "object" || value === null) {
    checkScalar(value, what, "");
    return;
  }
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 1, path: "" }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== "object" || v === null) {
      checkScalar(v, what, path);
      continue;
    }
    if (depth > MAX_VALUE_DEPTH) fail(what, path, `nested deeper than ${MAX_VALUE_DEPTH} levels (or cyclic)`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!Object.hasOwn(v, i)) fail(what, `${path}/${i}`, "a hole in a sparse array is not JSON");
        stack.push({ v: v[i], depth: depth + 1, path: `${path}/${i}` });
      }
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) fail(what, path, "only plain objects are JSON");
    for (const key of Object.keys(v)) {
      const at = `${path}/${escapeToken(key)}`;
      if (isForbiddenKey(key)) fail(what, at, `the key "${key}" is not allowed`);
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: at });
    }
  }
}

function checkScalar(v: unknown, what: string, path: string): void {
  switch (typeof v) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(v)) fail(what, path, `${v} is not a finite number`);
      return;
    case "object":
      return; // null
    default:
      fail(what, path, `${typeof v} is not JSON`);
  }
}

function fail(what: string, path: string, problem: string): never {
  const where = path === "" ? what : `${what} at ${path}`;
  throw new ValidationError(`${where}: ${problem}`, { details: { issues: [`${path || "/"}: ${problem}`], path } });
}

/** Deep equality of JSON values: member order does not matter, array order does. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  let countB = 0;
  for (const k in b) if (Object.hasOwn(b, k)) countB++;
  if (keys.length !== countB) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || !jsonEqual(a[k]!, b[k]!)) return false;
  return true;
}

/**
 * A deep copy. JSON Patch `copy` needs one: sharing the subtree would put the same object at two
 * places of one document, which `validateValue` refuses as a shared reference.
 */
export function cloneJson(value: JsonValue): JsonValue {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]!);
    return out;
  }
  const out: JsonObject = {};
  for (const k of Object.keys(value)) setOwn(out, k, cloneJson(value[k]!));
  return out;
}
