import type { JsonPatchOperation } from "./json-patch.js";
import { escapeToken } from "./pointer.js";
import type { JsonObject, JsonValue } from "./types.js";
import { jsonEqual } from "./values.js";

/**
 * An RFC 6902 JSON Patch that turns `from` into `to`: applied to `from` it gives a value equal to
 * `to`. Objects are compared member by member (`add`, `remove`, `replace`); an array that changed
 * is replaced whole, and so is a value whose type changed. Minimal for objects, not for arrays: in
 * exchange the work is one walk of both values (each node visited at most twice: by the walk and
 * by the equality check of an array), so it is bounded by the values' own size and depth limits.
 */
export function jsonDiff(from: JsonValue, to: JsonValue): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  walk(from, to, "", ops);
  return ops;
}

function isObject(v: JsonValue): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function walk(from: JsonValue, to: JsonValue, path: string, ops: JsonPatchOperation[]): void {
  if (isObject(from) && isObject(to)) {
    for (const key of Object.keys(from)) {
      if (!Object.hasOwn(to, key)) ops.push({ op: "remove", path: `${path}/${escapeToken(key)}` });
    }
    for (const key of Object.keys(to)) {
      const child = `${path}/${escapeToken(key)}`;
      if (!Object.hasOwn(from, key)) ops.push({ op: "add", path: child, value: to[key]! });
      else walk(from[key]!, to[key]!, child, ops);
    }
    return;
  }
  if (!jsonEqual(from, to)) ops.push({ op: "replace", path, value: to });
}
