export type * from "./types.js";
export { parsePointer, formatPointer, escapeToken, getAt } from "./pointer.js";
export { setAt, deleteAt } from "./edit.js";
export { mergePatch } from "./merge-patch.js";
export { applyPatch, type JsonPatchOperation, type JsonPatchOperationName } from "./json-patch.js";
export { incrementAt, type IncrementResult } from "./increment.js";
export { jsonEqual, MAX_VALUE_DEPTH } from "./values.js";
