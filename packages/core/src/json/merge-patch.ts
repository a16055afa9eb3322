import { isJsonObject } from "./pointer.js";
import { setOwn } from "./spine.js";
import type { JsonObject, JsonValue } from "./types.js";
import { assertJsonValue } from "./values.js";

const NO_MEMBERS: JsonObject = Object.freeze({}) as JsonObject;

/**
 * RFC 7396 JSON Merge Patch: an object patch merges member by member (`null` deletes a member, an
 * object recurses, anything else replaces); any other patch replaces the target whole. A target
 * that is not an object is treated as `{}` under an object patch.
 *
 * `target` is never modified. Objects the patch leaves unchanged are returned as they are (the
 * same references), so a no-op patch returns `target` itself. Members keep their order; new
 * members follow, in the patch's order. Non-object patch values (arrays, scalars) are inserted
 * as they are, not copied.
 * @throws ValidationError when the patch is not JSON or has a key `__proto__` at any depth. The
 *   patch is a value like any other, so its keys are refused as values are, not as pointers.
 */
export function mergePatch(target: JsonValue, patch: JsonValue): JsonValue {
  assertJsonValue(patch, "the merge patch");
  return merge(target, patch);
}

function merge(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const base = isJsonObject(target) ? target : NO_MEMBERS;
  let out: JsonObject | undefined; // the copy, made at the first change
  let removed: Set<string> | undefined;
  for (const key of Object.keys(patch)) {
    const change = patch[key]!;
    const present = Object.hasOwn(base, key);
    if (change === null) {
      if (present) (removed ??= new Set()).add(key);
      continue;
    }
    const before = present ? base[key] : undefined;
    const after = merge(before, change);
    if (after !== before) {
      out ??= { ...base };
      setOwn(out, key, after);
    }
  }
  if (removed !== undefined) {
    // Rebuilt rather than `delete`d: a deleted-from object turns into a slow dictionary.
    const from = out ?? base;
    out = {};
    for (const key of Object.keys(from)) if (!removed.has(key)) setOwn(out, key, from[key]!);
  }
  if (out !== undefined) return out;
  return base === NO_MEMBERS ? {} : base;
}
