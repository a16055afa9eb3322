import { InvalidPathError, NotFoundError } from "../errors.js";
import { END, arrayIndex, describeValue, isJsonObject, prefixOf, shown } from "./pointer.js";
import type { JsonArray, JsonObject, JsonValue } from "./types.js";

/**
 * Copy-on-write along one path. Inputs are deep-frozen and shared by caches, so an edit copies
 * only the containers from the root to the changed node (the "spine"); every other branch of the
 * result is the very same object as in the input.
 */

export type Container = JsonObject | JsonArray;

const OBJECT_PROTOTYPE = Object.prototype;

/**
 * Sets an own data property. Plain assignment is used where it is safe (the common case, and the
 * fastest); a key that Object.prototype has (`constructor`, `toString`, …) or `__proto__` is
 * defined instead, so that it can neither hit an inherited setter nor fail on a frozen prototype.
 */
export function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__" || Object.hasOwn(OBJECT_PROTOTYPE, key)) {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** A copy of `obj` with `key` set (kept in place if present, appended if new); `obj` itself if unchanged. */
export function withMember(obj: JsonObject, key: string, value: JsonValue): JsonObject {
  if (Object.hasOwn(obj, key) && obj[key] === value) return obj;
  // Spread defines own data properties (never calls setters), so it is safe for any key.
  const copy = { ...obj };
  setOwn(copy, key, value);
  return copy;
}

/** A copy of `obj` without `key`, other members in their order. Built afresh rather than with `delete`, which would leave a slow dictionary-mode object. */
export function withoutMember(obj: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) if (k !== key) setOwn(out, k, obj[k]!);
  return out;
}

/** A copy of `arr` with element `index` replaced, or appended when `index` is its length; `arr` itself if unchanged. */
export function withElement(arr: JsonArray, index: number, value: JsonValue): JsonArray {
  if (index < arr.length && arr[index] === value) return arr;
  const copy = arr.slice();
  copy[index] = value;
  return copy;
}

/** A copy of `arr` with `value` inserted before `index` (0 ≤ index ≤ length). */
export function insertElement(arr: JsonArray, index: number, value: JsonValue): JsonArray {
  const n = arr.length;
  const copy: JsonArray = new Array(n + 1);
  for (let i = 0; i < index; i++) copy[i] = arr[i]!;
  copy[index] = value;
  for (let i = index; i < n; i++) copy[i + 1] = arr[i]!;
  return copy;
}

/** A copy of `arr` without element `index`. */
export function withoutElement(arr: JsonArray, index: number): JsonArray {
  const n = arr.length;
  const copy: JsonArray = new Array(n - 1);
  for (let i = 0; i < index; i++) copy[i] = arr[i]!;
  for (let i = index + 1; i < n; i++) copy[i - 1] = arr[i]!;
  return copy;
}

/**
 * The containers from the root down to the parent of the pointer's last token. `keys[i]` is the
 * resolved key into `nodes[i]` (a member name or an array index).
 */
export interface Spine {
  nodes: Container[];
  keys: Array<string | number>;
  /** The value the first `tokens.length - 1` tokens lead to: the parent of the target. */
  parent: JsonValue;
}

/**
 * How `descend` treats a missing or scalar intermediate:
 * - `"existing"`: the parent must exist → `NotFoundError` (a scalar has no members, so its
 *   "member" is missing too).
 * - `"create"`: a missing member of an object, or the element at an array's end (`-` or its
 *   length), is created as an empty OBJECT (never an array, even before a numeric token: a
 *   pointer cannot say which was meant); a scalar is never turned into a container →
 *   `InvalidPathError`, as is an index past an array's end.
 */
export type DescendMode = "existing" | "create";

/** Walks to the parent of the target. `action` ("delete", "set", …) only words the messages. */
export function descend(doc: JsonValue, tokens: readonly string[], pointer: string, mode: DescendMode, action: string): Spine {
  const nodes: Container[] = [];
  const keys: Array<string | number> = [];
  let node: JsonValue = doc;
  const last = tokens.length - 1;
  for (let i = 0; i < last; i++) {
    let child: JsonValue | undefined;
    let key: string | number;
    if (Array.isArray(node)) {
      const index = arrayIndex(tokens, i, pointer, mode === "create");
      key = index === END ? node.length : index;
      child = key < node.length ? node[key] : undefined;
      if (child === undefined && mode === "create" && key > node.length) {
        throw new InvalidPathError(
          `cannot ${action} ${shown(pointer)}: index ${key} is past the end of the array at ${shown(prefixOf(tokens, i))} (${describeValue(node)})`,
          { details: { pointer } },
        );
      }
    } else if (isJsonObject(node)) {
      key = tokens[i]!;
      child = Object.hasOwn(node, key) ? node[key] : undefined;
    } else {
      throw scalarInTheWay(tokens, i, pointer, node, mode, action);
    }
    if (child === undefined) {
      if (mode === "existing") {
        throw new NotFoundError(`cannot ${action} ${shown(pointer)}: ${shown(prefixOf(tokens, i + 1))} does not exist`, {
          details: { pointer },
        });
      }
      child = {};
    }
    nodes.push(node);
    keys.push(key);
    node = child;
  }
  return { nodes, keys, parent: node };
}

function scalarInTheWay(
  tokens: readonly string[],
  depth: number,
  pointer: string,
  node: JsonValue,
  mode: DescendMode,
  action: string,
): Error {
  const at = prefixOf(tokens, depth);
  const message = `cannot ${action} ${shown(pointer)}: ${at === "" ? "the document" : shown(at)} is ${describeValue(node)}, not an object or array`;
  return mode === "create" ? new InvalidPathError(message, { details: { pointer } }) : new NotFoundError(message, { details: { pointer } });
}

/** The error for a target whose parent (the spine's end) is a scalar. */
export function scalarParent(tokens: readonly string[], pointer: string, parent: JsonValue, mode: DescendMode, action: string): Error {
  return scalarInTheWay(tokens, tokens.length - 1, pointer, parent, mode, action);
}

/** Puts `newParent` in place of the spine's parent and copies the containers above it. */
export function rebuild(spine: Spine, newParent: JsonValue): JsonValue {
  let value = newParent;
  for (let i = spine.nodes.length - 1; i >= 0; i--) {
    const node = spine.nodes[i]!;
    const key = spine.keys[i]!;
    value = Array.isArray(node) ? withElement(node, key as number, value) : withMember(node, key as string, value);
  }
  return value;
}
