import {
  ConflictError,
  type ErrorCode,
  InvalidPathError,
  NotFoundError,
  type StatehouseErrorOptions,
  ValidationError,
  isStatehouseError,
} from "../errors.js";
import { deleteByTokens, missing } from "./edit.js";
import { END, arrayIndex, describeValue, getByTokens, isJsonObject, parsePointer, prefixOf, shown } from "./pointer.js";
import { descend, insertElement, rebuild, scalarParent, withElement, withMember } from "./spine.js";
import type { JsonValue } from "./types.js";
import { type JsonPatchOptions, PatchBudget } from "./patch-budget.js";
import { assertJsonValue, jsonEqual } from "./values.js";

/** One RFC 6902 operation. Members other than these are ignored, as the RFC requires. */
export type JsonPatchOperation =
  | { op: "add"; path: string; value: JsonValue }
  | { op: "remove"; path: string }
  | { op: "replace"; path: string; value: JsonValue }
  | { op: "move"; from: string; path: string }
  | { op: "copy"; from: string; path: string }
  | { op: "test"; path: string; value: JsonValue };

export type JsonPatchOperationName = JsonPatchOperation["op"];

const NAMES: ReadonlySet<string> = new Set<JsonPatchOperationName>(["add", "remove", "replace", "move", "copy", "test"]);

interface Compiled {
  op: JsonPatchOperationName;
  path: string;
  tokens: string[];
  from: string;
  fromTokens: string[];
  value: JsonValue;
}

/**
 * RFC 6902 JSON Patch: applies `operations` in order and returns the new document. Atomic: `doc`
 * is never modified, so when any operation fails nothing has changed. Every operation is checked
 * before the first is applied, so a malformed one is reported even if an earlier one would fail.
 *
 * `operations` may be parsed JSON as it came in (any array): each is checked at run time.
 *
 * Errors (each names the operation's index in its message and in `details.operation`):
 * - `ValidationError`: the patch is not an array; an operation is not an object, has no or an
 *   unknown `op`, lacks `path`, `from` (move, copy) or `value` (add, replace, test), or its
 *   `value` is not JSON or contains the key `__proto__`.
 * - `InvalidPathError`: a malformed pointer or `__proto__` in `path`/`from`; a token that cannot
 *   index an array (`01`, `1e0`, `foo`, `-` where a value must exist); `add` past an array's end
 *   or into a scalar; `remove` of `""`; `move` into its own child.
 * - `NotFoundError`: a location that must hold a value does not (the target of `remove` and
 *   `replace`, the `from` of `move` and `copy`, the parent of `add`), as with `deleteAt`.
 * - `ConflictError` with `details: { operation, pointer }`: a `test` failed, including a `test`
 *   of a location that holds no value.
 * - `ValidationError` with `details.limit` (`maxWork`, `maxBytes`, `depth`): the patch does more
 *   work than `options` allow (see {@link JsonPatchOptions}), counted as it runs, so a small
 *   patch that grows the document exponentially fails fast.
 */
export function applyPatch(
  doc: JsonValue,
  operations: readonly JsonPatchOperation[] | readonly JsonValue[],
  options?: JsonPatchOptions,
): JsonValue {
  return applyPatchWithin(doc, operations, new PatchBudget(options));
}

/**
 * applyPatch spending from a budget the caller may share between patches: the patches of one
 * batch (one transaction, one lock) share one, so that many patches cannot each spend a full
 * budget.
 */
export function applyPatchWithin(
  doc: JsonValue,
  operations: readonly JsonPatchOperation[] | readonly JsonValue[],
  budget: PatchBudget,
): JsonValue {
  if (!Array.isArray(operations)) {
    throw new ValidationError(`a JSON Patch must be an array of operations, got ${typeName(operations)}`, {
      details: { issues: ["the patch is not an array"] },
    });
  }
  const compiled: Compiled[] = new Array(operations.length);
  for (let i = 0; i < operations.length; i++) compiled[i] = compile(operations[i], i);
  let result = doc;
  for (let i = 0; i < compiled.length; i++) {
    const c = compiled[i]!;
    try {
      budget.spendPath(result, c.tokens);
      if (c.op === "move") budget.spendPath(result, c.fromTokens);
      result = apply(result, c, i, budget);
    } catch (err) {
      throw inOperation(err, i, c.op);
    }
  }
  return result;
}

function compile(raw: unknown, index: number): Compiled {
  if (!isJsonObject(raw)) {
    throw invalid(index, undefined, `must be an object with "op" and "path", got ${typeName(raw)}`);
  }
  const op = Object.hasOwn(raw, "op") ? raw.op : undefined;
  if (typeof op !== "string" || !NAMES.has(op)) {
    const got = op === undefined ? "it has none" : `got ${typeof op === "string" ? JSON.stringify(op) : typeName(op)}`;
    throw invalid(index, undefined, `"op" must be one of add, remove, replace, move, copy, test; ${got}`);
  }
  const name = op as JsonPatchOperationName;
  const path = pointerMember(raw, "path", index, name);
  const tokens = parse(path, index, name);
  let from = "";
  let fromTokens: string[] = [];
  if (name === "move" || name === "copy") {
    from = pointerMember(raw, "from", index, name);
    fromTokens = parse(from, index, name);
  }
  let value: JsonValue = null;
  if (name === "add" || name === "replace" || name === "test") {
    const v = Object.hasOwn(raw, "value") ? raw.value : undefined;
    if (v === undefined) throw invalid(index, name, `"value" is missing`);
    try {
      assertJsonValue(v, `"value"`);
    } catch (err) {
      throw inOperation(err, index, name);
    }
    value = v;
  }
  return { op: name, path, tokens, from, fromTokens, value };
}

function pointerMember(raw: Record<string, unknown>, member: "path" | "from", index: number, name: string): string {
  const p = Object.hasOwn(raw, member) ? raw[member] : undefined;
  if (typeof p !== "string") {
    throw invalid(
      index,
      name,
      `"${member}" must be a JSON Pointer string, ${p === undefined ? "and it is missing" : `got ${typeName(p)}`}`,
    );
  }
  return p;
}

function parse(pointer: string, index: number, name: string): string[] {
  try {
    return parsePointer(pointer);
  } catch (err) {
    throw inOperation(err, index, name);
  }
}

function apply(doc: JsonValue, c: Compiled, index: number, budget: PatchBudget): JsonValue {
  switch (c.op) {
    case "add":
      return add(doc, c.tokens, c.path, c.value, "add");
    case "remove":
      return deleteByTokens(doc, c.tokens, c.path, "remove");
    case "replace":
      return replace(doc, c.tokens, c.path, c.value);
    case "move": {
      if (isPrefix(c.fromTokens, c.tokens)) {
        if (c.fromTokens.length === c.tokens.length) {
          // Moving a value onto itself changes nothing, but the value must exist.
          if (getByTokens(doc, c.fromTokens, c.from) === undefined) throw missing(c.from, "move from", "there is no value there");
          return doc;
        }
        throw new InvalidPathError(`cannot move ${shown(c.from)} into its own child ${shown(c.path)}`, {
          details: { pointer: c.path, from: c.from },
        });
      }
      const value = getByTokens(doc, c.fromTokens, c.from);
      if (value === undefined) throw missing(c.from, "move from", "there is no value there");
      return add(deleteByTokens(doc, c.fromTokens, c.from, "move from"), c.tokens, c.path, value, "move to");
    }
    case "copy": {
      const value = getByTokens(doc, c.fromTokens, c.from);
      if (value === undefined) throw missing(c.from, "copy from", "there is no value there");
      return add(doc, c.tokens, c.path, budget.clone(value), "copy to");
    }
    case "test": {
      const actual = getByTokens(doc, c.tokens, c.path);
      if (actual === undefined || !jsonEqual(actual, c.value)) {
        const found = actual === undefined ? "there is no value there" : `found ${preview(actual)}`;
        throw new ConflictError(
          `JSON Patch operation ${index} (test) failed: expected ${preview(c.value)} at ${shown(c.path)}, but ${found}`,
          { details: { operation: index, pointer: c.path } },
        );
      }
      return doc;
    }
  }
}

/** RFC 6902 `add`: the parent must exist; an object member is added or replaced; an array element is INSERTED. */
function add(doc: JsonValue, tokens: string[], pointer: string, value: JsonValue, action: string): JsonValue {
  if (tokens.length === 0) return value;
  const spine = descend(doc, tokens, pointer, "existing", action);
  const parent = spine.parent;
  const last = tokens.length - 1;
  if (Array.isArray(parent)) {
    let i = arrayIndex(tokens, last, pointer, true);
    if (i === END) i = parent.length;
    if (i > parent.length) {
      throw new InvalidPathError(
        `cannot ${action} ${shown(pointer)}: index ${i} is past the end of the array at ${shown(prefixOf(tokens, last))} (${describeValue(parent)})`,
        { details: { pointer } },
      );
    }
    return rebuild(spine, insertElement(parent, i, value));
  }
  if (isJsonObject(parent)) return rebuild(spine, withMember(parent, tokens[last]!, value));
  throw scalarParent(tokens, pointer, parent, "create", action);
}

/** RFC 6902 `replace`: the target must exist. */
function replace(doc: JsonValue, tokens: string[], pointer: string, value: JsonValue): JsonValue {
  if (tokens.length === 0) return value;
  const spine = descend(doc, tokens, pointer, "existing", "replace");
  const parent = spine.parent;
  const last = tokens.length - 1;
  if (Array.isArray(parent)) {
    const i = arrayIndex(tokens, last, pointer, false);
    if (i >= parent.length) throw missing(pointer, "replace", `there is no element ${i} in ${describeValue(parent)}`);
    return rebuild(spine, withElement(parent, i, value));
  }
  if (isJsonObject(parent)) {
    const key = tokens[last]!;
    if (!Object.hasOwn(parent, key)) throw missing(pointer, "replace", "there is no such member");
    return rebuild(spine, withMember(parent, key, value));
  }
  throw scalarParent(tokens, pointer, parent, "existing", "replace");
}

function isPrefix(prefix: readonly string[], tokens: readonly string[]): boolean {
  if (prefix.length > tokens.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== tokens[i]) return false;
  return true;
}

type ErrorClass = new (message: string, options?: StatehouseErrorOptions) => Error;
const CLASSES: Partial<Record<ErrorCode, ErrorClass>> = {
  E_VALIDATION: ValidationError,
  E_INVALID_PATH: InvalidPathError,
  E_NOT_FOUND: NotFoundError,
  E_CONFLICT: ConflictError,
};

/** Re-raises an error with the operation's index in its message and details. */
function inOperation(err: unknown, index: number, name: string): unknown {
  if (!isStatehouseError(err) || err.details.operation !== undefined) return err;
  const cls = CLASSES[err.code];
  if (cls === undefined) return err;
  return new cls(`JSON Patch operation ${index} (${name}): ${err.message}`, {
    cause: err.cause,
    details: { ...err.details, operation: index },
  });
}

function invalid(index: number, name: string | undefined, problem: string): ValidationError {
  const label = name === undefined ? `JSON Patch operation ${index}` : `JSON Patch operation ${index} (${name})`;
  return new ValidationError(`${label}: ${problem}`, { details: { operation: index, issues: [`operation ${index}: ${problem}`] } });
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function preview(v: JsonValue): string {
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
