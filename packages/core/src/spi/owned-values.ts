/**
 * Values that core built itself and nobody else references: the documents the domain layer
 * derives from a stored (frozen) document and an already copied input. A transaction may freeze
 * and keep such a value as it is instead of parsing a private copy from its JSON text, which was
 * a tenth of a small write's time. Internal to core: a user's object is never marked, since
 * freezing it would change an object the caller still holds.
 */
const owned = new WeakMap<object, number>();

export function markOwned<T>(value: T): T {
  if (typeof value === "object" && value !== null && !owned.has(value)) owned.set(value, -1);
  return value;
}

export function isOwned(value: unknown): boolean {
  return typeof value === "object" && value !== null && owned.has(value);
}

/**
 * Marks an owned value that core composed only of parts it checked: a stored document's subtrees
 * (each in one place), fresh objects along a JSON Pointer with checked member names, and a checked
 * copy. Such a value needs no walk for cycles, shared references, non-JSON types or forbidden keys:
 * only its serialisation, its size and its depth, of which `depthBound` is an upper bound. A
 * transaction whose limit is below the bound walks it as any other value, so the answer stays exact.
 */
export function markComposed<T>(value: T, depthBound: number): T {
  if (typeof value === "object" && value !== null) owned.set(value, depthBound);
  return value;
}

/** The depth bound `markComposed` gave `value`, or undefined for any other value. */
export function composedDepth(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const bound = owned.get(value);
  return bound === undefined || bound < 0 ? undefined : bound;
}

/** What validating a value found: its JSON text and its nesting depth (`{}` has depth 1, a scalar 0). */
export interface CheckedJson {
  readonly json: string;
  readonly depth: number;
}

/**
 * Deep-frozen values whose JSON text and depth core has already computed: every value a
 * transaction stored, and the copies core makes of a caller's whole document. Putting such a value
 * again (the previous revision kept in history, a replaced document) skips the walk and the
 * serialisation: a frozen value cannot have changed since, so only the limits, which may differ
 * between stores, are checked again. One entry per stored value (not per node); weakly held.
 */
const checked = new WeakMap<object, CheckedJson>();

/** Records `value`'s text and depth; `value` must be deep-frozen (`deepFreeze`), or the entry could go stale. */
export function rememberChecked(value: unknown, result: CheckedJson): void {
  if (typeof value === "object" && value !== null && Object.isFrozen(value)) checked.set(value, result);
}

/** The text and depth of a value core checked and froze, or undefined (scalars: serialising one is cheap). */
export function knownChecked(value: unknown): CheckedJson | undefined {
  return typeof value === "object" && value !== null ? checked.get(value) : undefined;
}
