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
 * Deep-frozen values core has checked, with their depth: every value a transaction stored, and
 * the copies core makes of a caller's whole document. Putting such a value again (the previous
 * revision kept in history, a replaced document) skips the walk: a frozen value cannot have
 * changed since, so only the limits, which may differ between stores, are checked again. One
 * entry per stored value (not per node); weakly held.
 */
const depths = new WeakMap<object, number>();

/**
 * The JSON text of the values most recently checked, so that the next put of one (history keeps
 * the previous revision at the document's next write) is not even serialised again. Bounded in
 * total characters, oldest first out: keeping every stored value's text would hold each store's
 * data twice (measured: 56 → 89 MB of heap for 10,000 documents of 1.3 KB in the memory adapter).
 */
const texts = new Map<object, string>();
let textChars = 0;
/** Characters of JSON text kept in all (at most 2 MB at two bytes a character): enough for the documents being written now. */
const TEXT_BUDGET = 1024 * 1024;

/** Records `value`'s depth and text; `value` must be deep-frozen (`deepFreeze`), or the entry could go stale. */
export function rememberChecked(value: unknown, result: CheckedJson): void {
  if (typeof value !== "object" || value === null || !Object.isFrozen(value)) return;
  depths.set(value, result.depth);
  const old = texts.get(value);
  if (old !== undefined) {
    texts.delete(value);
    textChars -= old.length;
  }
  if (result.json.length > TEXT_BUDGET / 4) return;
  texts.set(value, result.json);
  textChars += result.json.length;
  for (const [v, t] of texts) {
    if (textChars <= TEXT_BUDGET) break;
    texts.delete(v);
    textChars -= t.length;
  }
}

/** The depth of a value core checked and froze, or undefined (scalars: checking one is cheap). */
export function knownDepth(value: unknown): number | undefined {
  return typeof value === "object" && value !== null ? depths.get(value) : undefined;
}

/**
 * The text and depth of a value core checked and froze, or undefined. The text is the one kept, or
 * serialised again (no walk: the value is frozen JSON) once it has left the bounded set.
 */
export function knownChecked(value: unknown): CheckedJson | undefined {
  const depth = knownDepth(value);
  if (depth === undefined) return undefined;
  return { json: texts.get(value as object) ?? JSON.stringify(value), depth };
}
