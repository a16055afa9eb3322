/**
 * Pure, immutable JSON operations for state documents: RFC 6901 JSON Pointer, RFC 7396 JSON Merge
 * Patch, RFC 6902 JSON Patch and increment. None modifies its input (stored values are
 * deep-frozen and shared by caches); each copies only the containers on the path it changes.
 *
 * Errors, the same everywhere:
 * - InvalidPathError: a malformed pointer, the key `__proto__` in a pointer, a token that cannot
 *   index an array (`01`, `1e0`, `x`, `-` where a value must exist), an insertion past an array's
 *   end, a scalar where a container would have to be created, `move` into its own child.
 * - NotFoundError: a well-formed pointer to where a value must exist and does not (`deleteAt`,
 *   JSON Patch remove/replace, move/copy `from`, the parent of `add`).
 * - ValidationError: a value (set value, patch value, merge patch) that is not JSON or contains
 *   the key `__proto__`; a malformed JSON Patch operation; increment of a non-number or to an
 *   unsafe or non-finite result.
 * - ConflictError: a failed JSON Patch `test`, with `details: { operation, pointer }`.
 * `constructor`, `prototype`, `toString`… are ordinary keys, read and written as own properties.
 */
export type * from "./types.js";
export { parsePointer, formatPointer, escapeToken, getAt } from "./pointer.js";
export { setAt, deleteAt } from "./edit.js";
export { mergePatch } from "./merge-patch.js";
export { applyPatch, type JsonPatchOperation, type JsonPatchOperationName } from "./json-patch.js";
export { DEFAULT_MAX_PATCH_WORK, type JsonPatchOptions } from "./patch-budget.js";
export { incrementAt, type IncrementResult } from "./increment.js";
export { jsonEqual, MAX_VALUE_DEPTH } from "./values.js";
export { jsonDiff } from "./diff.js";
