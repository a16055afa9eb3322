import { InvalidPathError, NotFoundError } from "../errors.js";
import { END, arrayIndex, describeValue, isJsonObject, parsePointer, prefixOf, shown } from "./pointer.js";
import { descend, rebuild, scalarParent, withElement, withMember, withoutElement, withoutMember } from "./spine.js";
import type { JsonValue } from "./types.js";
import { assertJsonValue } from "./values.js";

/**
 * Returns a copy of `doc` with `value` at `pointer`; `doc` is never modified, and every branch off
 * the path is shared with it.
 *
 * - `""` replaces the whole document.
 * - An object member is added or replaced.
 * - In an array, an index below the length REPLACES that element (this is "set", unlike JSON
 *   Patch `add`, which inserts); the length or `-` appends; a larger index is refused.
 * - Missing intermediates are created as empty OBJECTS (also before a numeric token such as
 *   `/a/0`, since a pointer cannot say an array was meant), so `setAt({}, "/stats/calls", 1)`
 *   works; in an array, the element at its end (`-` or the length) is created likewise.
 * - A scalar is never turned into a container: `setAt({a: 1}, "/a/b", 2)` is refused.
 *
 * `value` is inserted as it is (not copied): do not modify it afterwards.
 * @throws InvalidPathError for a malformed pointer, `__proto__`, an index past the end, or a scalar in the way.
 * @throws ValidationError when `value` is not JSON or contains the key `__proto__`.
 */
export function setAt(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  const tokens = parsePointer(pointer);
  assertJsonValue(value, "the value");
  return setByTokens(doc, tokens, pointer, value, "set");
}

/** `setAt` on parsed tokens and a checked value. */
export function setByTokens(doc: JsonValue, tokens: readonly string[], pointer: string, value: JsonValue, action: string): JsonValue {
  if (tokens.length === 0) return value;
  const spine = descend(doc, tokens, pointer, "create", action);
  const parent = spine.parent;
  const last = tokens.length - 1;
  if (Array.isArray(parent)) {
    let index = arrayIndex(tokens, last, pointer, true);
    if (index === END) index = parent.length;
    if (index > parent.length) {
      throw new InvalidPathError(
        `cannot ${action} ${shown(pointer)}: index ${index} is past the end of the array at ${shown(prefixOf(tokens, last))} (${describeValue(parent)}); use ${parent.length} or "-" to append`,
        { details: { pointer } },
      );
    }
    return rebuild(spine, withElement(parent, index, value));
  }
  if (isJsonObject(parent)) return rebuild(spine, withMember(parent, tokens[last]!, value));
  throw scalarParent(tokens, pointer, parent, "create", action);
}

/**
 * Returns a copy of `doc` without the value at `pointer` (an array's later elements move down).
 *
 * A pointer that leads nowhere throws `NotFoundError` (the domain's `state del` of a missing
 * pointer is an E_NOT_FOUND error, and JSON Patch `remove` requires the value to exist); `""`
 * (the document itself) and `-` cannot be deleted and throw `InvalidPathError`.
 * @throws NotFoundError when there is no value at `pointer`.
 * @throws InvalidPathError for a malformed pointer, `__proto__`, `-`, or `""`.
 */
export function deleteAt(doc: JsonValue, pointer: string): JsonValue {
  return deleteByTokens(doc, parsePointer(pointer), pointer, "delete");
}

/** `deleteAt` on parsed tokens. */
export function deleteByTokens(doc: JsonValue, tokens: readonly string[], pointer: string, action: string): JsonValue {
  if (tokens.length === 0) {
    throw new InvalidPathError(`cannot ${action} the whole document with a pointer (""); delete the document instead`, {
      details: { pointer },
    });
  }
  const spine = descend(doc, tokens, pointer, "existing", action);
  const parent = spine.parent;
  const last = tokens.length - 1;
  if (Array.isArray(parent)) {
    const index = arrayIndex(tokens, last, pointer, false);
    if (index >= parent.length) throw missing(pointer, action, `there is no element ${index} in ${describeValue(parent)}`);
    return rebuild(spine, withoutElement(parent, index));
  }
  if (isJsonObject(parent)) {
    const key = tokens[last]!;
    if (!Object.hasOwn(parent, key)) throw missing(pointer, action, "there is no such member");
    return rebuild(spine, withoutMember(parent, key));
  }
  throw scalarParent(tokens, pointer, parent, "existing", action);
}

export function missing(pointer: string, action: string, why: string): NotFoundError {
  return new NotFoundError(`cannot ${action} ${shown(pointer)}: ${why}`, { details: { pointer } });
}
