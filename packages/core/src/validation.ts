import { InvalidPathError, ValidationError } from "./errors.js";
import type { WatchOptions } from "./domain/watch-options.js";
import type { JsonValue } from "./json/types.js";
import type { CheckedJson } from "./spi/owned-values.js";
import { decodeCursor, resolvePageSize } from "./spi/cursor.js";

/** Limits on stored values. */
export interface ValueLimitsOptions {
  /** Deepest allowed nesting of objects and arrays; `{}` has depth 1. Default 64. */
  maxDepth?: number;
  /** Largest allowed record, in bytes of its UTF-8 JSON text. Default 16 MiB. */
  maxBytes?: number;
}

export interface ValueLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: ValueLimits = Object.freeze({ maxDepth: 64, maxBytes: 16 * 1024 * 1024 });

export function resolveLimits(options: ValueLimitsOptions | undefined): ValueLimits {
  return {
    maxDepth: options?.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxBytes: options?.maxBytes ?? DEFAULT_LIMITS.maxBytes,
  };
}

/**
 * Keys that would reach an object's prototype through ordinary property assignment. They are
 * refused everywhere (documents, pointers, patches, merges) so no code path has to remember to
 * special-case them.
 */
const FORBIDDEN_KEYS = new Set(["__proto__"]);

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/**
 * Checks that `value` is plain JSON within the limits, and returns its JSON text so that callers
 * (adapters) never serialise the same value twice. Throws ValidationError before anything is
 * written.
 */
export function validateValue(value: unknown, limits: ValueLimits = DEFAULT_LIMITS, what = "value"): string {
  return checkValue(value, limits, what).json;
}

/**
 * `validateValue`, also giving the value's nesting depth (`{}` has depth 1, a scalar 0): one walk
 * and one serialisation, whose results core keeps for a value it then freezes (see
 * `rememberChecked` in spi/owned-values.ts) so that the value is never walked again.
 */
export function checkValue(value: unknown, limits: ValueLimits = DEFAULT_LIMITS, what = "value"): CheckedJson {
  const walked = walkJson(value, limits.maxDepth, what);
  const atLeast = walked.size;
  // A lower bound of the JSON text's size, counted during the walk: a value far over the limit
  // (a string repeated by references, a huge patch result) is refused without serialising it.
  if (atLeast > limits.maxBytes) tooLarge(what, atLeast, limits.maxBytes, "at least ");
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    // V8 cannot build a string over ~512 MiB: "Invalid string length".
    if (err instanceof RangeError) tooLarge(what, atLeast, limits.maxBytes, "at least ");
    throw err;
  }
  checkTextSize(text, limits, what);
  return { json: text, depth: walked.depth };
}

/**
 * The limits checked again for a value whose text and depth are known (a value core froze after
 * checking it, possibly against another store's limits): no walk, no serialisation.
 */
export function checkKnownValue(known: CheckedJson, limits: ValueLimits, what = "value"): void {
  if (known.depth > limits.maxDepth) {
    fail(what, "", `nesting of depth ${known.depth} is deeper than the limit of ${limits.maxDepth}`);
  }
  checkTextSize(known.json, limits, what);
}

function checkTextSize(text: string, limits: ValueLimits, what: string): void {
  // Byte length only matters near the limit; string length is a cheap lower bound.
  if (text.length * 3 > limits.maxBytes || text.length > limits.maxBytes) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > limits.maxBytes) tooLarge(what, bytes, limits.maxBytes, "");
  }
}

function tooLarge(what: string, bytes: number, maxBytes: number, bound: string): never {
  throw new ValidationError(`${what} is ${bound}${bytes} bytes, over the limit of ${maxBytes}`, {
    details: { issues: [`size ${bound}${bytes} > ${maxBytes} bytes`], bytes, maxBytes },
  });
}

function fail(what: string, path: string, problem: string): never {
  const where = path === "" ? what : `${what} at ${path}`;
  throw new ValidationError(`${where}: ${problem}`, { details: { issues: [`${path || "/"}: ${problem}`], path } });
}

function escapePointerToken(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** A value still to check, with the way back to the root so that a failure can name its JSON Pointer. */
interface Pending {
  readonly v: unknown;
  readonly depth: number;
  readonly parent: Pending | undefined;
  readonly key: string | number;
}

// Paths are only built for the error message: building one per node cost more than the check.
function pathOf(p: Pending | undefined): string {
  const tokens: string[] = [];
  for (let at = p; at?.parent !== undefined; at = at.parent)
    tokens.push(typeof at.key === "number" ? String(at.key) : escapePointerToken(at.key));
  return tokens.length === 0 ? "" : `/${tokens.reverse().join("/")}`;
}

/**
 * The walk every write makes: plain JSON, within the depth limit, no cycle or shared reference, no
 * forbidden key. Returns a lower bound of the size of the value's JSON text (one byte a value, plus
 * the length of each string and member name: UTF-8 takes at least a byte per UTF-16 code unit) and
 * the value's depth. Iterative, so that a hostile depth-5,000 value is refused without exhausting
 * the stack, and allocation-free per node (two parallel stacks): the pointer of a problem is only
 * worked out, by `checkJson`'s slower walk, when there is one.
 */
function walkJson(root: unknown, maxDepth: number, what: string): { size: number; depth: number } {
  if (typeof root !== "object" || root === null) {
    if (typeof root === "string") return { size: 1 + root.length, depth: 0 };
    if (typeof root === "boolean" || root === null || (typeof root === "number" && Number.isFinite(root))) return { size: 1, depth: 0 };
    return explainInvalid(root, maxDepth, what);
  }
  const values: unknown[] = [root];
  const depths: number[] = [0];
  const seen = new Set<object>();
  let size = 0;
  let deepest = 0;
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    size++;
    switch (typeof v) {
      case "string":
        size += v.length;
        continue;
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(v)) return explainInvalid(root, maxDepth, what);
        continue;
      case "object": {
        if (v === null) continue;
        const d = depth + 1;
        if (d > maxDepth || seen.has(v)) return explainInvalid(root, maxDepth, what);
        if (d > deepest) deepest = d;
        seen.add(v);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) return explainInvalid(root, maxDepth, what);
            values.push(v[i]);
            depths.push(d);
          }
          continue;
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) return explainInvalid(root, maxDepth, what);
        if (Object.getOwnPropertySymbols(v).length > 0) return explainInvalid(root, maxDepth, what);
        for (const key of Object.keys(v)) {
          size += key.length;
          if (isForbiddenKey(key)) return explainInvalid(root, maxDepth, what);
          values.push((v as Record<string, unknown>)[key]);
          depths.push(d);
        }
        continue;
      }
      default:
        return explainInvalid(root, maxDepth, what);
    }
  }
  return { size, depth: deepest };
}

/** The fast walk met a problem: the path-tracking walk finds it again and throws it with its JSON Pointer. */
function explainInvalid(root: unknown, maxDepth: number, what: string): never {
  checkJson(root, maxDepth, what);
  // Reached only if a getter answered differently the second time: still refused, without a path.
  return fail(what, "", "not plain JSON (a value changed while it was checked)");
}

/**
 * Iterative, so that a hostile depth-5,000 value is refused without exhausting the stack.
 * Returns a lower bound of the size of the value's JSON text: one byte a value, plus the length
 * of each string and member name (UTF-8 takes at least a byte per UTF-16 code unit).
 */
function checkJson(root: unknown, maxDepth: number, what: string): number {
  const stack: Pending[] = [{ v: root, depth: 0, parent: undefined, key: "" }];
  const seen = new Set<object>();
  let size = 0;
  while (stack.length > 0) {
    const p = stack.pop()!;
    const { v, depth } = p;
    size++;
    switch (typeof v) {
      case "string":
        size += v.length;
        continue;
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(v)) fail(what, pathOf(p), `${v} is not a finite number`);
        continue;
      case "object": {
        if (v === null) continue;
        if (depth + 1 > maxDepth) fail(what, pathOf(p), `nesting deeper than the limit of ${maxDepth}`);
        if (seen.has(v)) fail(what, pathOf(p), "cycle or shared reference");
        seen.add(v);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            const child: Pending = { v: v[i], depth: depth + 1, parent: p, key: i };
            if (!(i in v)) fail(what, pathOf(child), "sparse array hole");
            stack.push(child);
          }
          continue;
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          fail(what, pathOf(p), `${(v as object).constructor?.name ?? "object"} is not a plain JSON object`);
        }
        if (Object.getOwnPropertySymbols(v).length > 0) fail(what, pathOf(p), "symbol keys are not JSON");
        for (const key of Object.keys(v)) {
          size += key.length;
          const child: Pending = { v: (v as Record<string, unknown>)[key], depth: depth + 1, parent: p, key };
          if (isForbiddenKey(key)) fail(what, pathOf(child), `the key "${key}" is not allowed`);
          stack.push(child);
        }
        continue;
      }
      case "undefined":
        fail(what, pathOf(p), "undefined is not JSON");
        break;
      case "bigint":
        fail(what, pathOf(p), "BigInt is not JSON");
        break;
      default:
        fail(what, pathOf(p), `${typeof v} is not JSON`);
    }
  }
  return size;
}

/** Options for identifiers of records (document names, session ids, project names, tool names). */
export const ID_MAX_LENGTH = 200;
const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$/;

/**
 * Ids name files in the file adapter, so they are restricted to a portable, path-free alphabet:
 * no separators, no leading dot, no `..`, no control characters, no NUL, at most 200 characters.
 */
export function validateId(id: unknown, what = "id"): string {
  if (typeof id !== "string") throw new InvalidPathError(`${what} must be a string, got ${typeof id}`, { details: { id } });
  if (!isValidId(id)) {
    const shown = id.length > 60 ? `${id.slice(0, 60)}… (${id.length} characters)` : id;
    throw new InvalidPathError(
      `invalid ${what} ${JSON.stringify(shown)}: use 1 to ${ID_MAX_LENGTH} of A-Z a-z 0-9 _ . : @ + -, not starting with "." or "-" and without ".."`,
      { details: { id: shown } },
    );
  }
  return id;
}

/**
 * Whether `id` is an id `validateId` accepts, without throwing: for a lookup, where an invalid id
 * names no record (an answer, not an error).
 */
export function isValidId(id: unknown): boolean {
  return typeof id === "string" && id.length > 0 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id) && !id.includes("..");
}

const COLLECTION_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Whether `name` is a collection name `validateCollection` accepts, without throwing (see `isValidId`). */
export function isValidCollection(name: unknown): boolean {
  return typeof name === "string" && COLLECTION_PATTERN.test(name);
}

export function validateCollection(name: string): string {
  if (!isValidCollection(name)) {
    throw new InvalidPathError(`invalid collection name ${JSON.stringify(name)}`, { details: { collection: name } });
  }
  return name;
}

const INDEX_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
/** With the u flag a surrogate pair is one code point, so only an unpaired surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Index names are checked at the SPI boundary (every put's `index`, every list and count), so
 * that no adapter meets a name its own layout reserves (the memory and file adapters list by id
 * through an internal index named "\u0000id"; a record indexed under that name was listed twice).
 */
export function validateIndexName(name: unknown): string {
  if (typeof name !== "string" || !INDEX_NAME_PATTERN.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : typeof name;
    throw new ValidationError(`invalid index name ${shown}: use a letter, then up to 63 of A-Z a-z 0-9 _ . : -`, {
      details: { issues: ["invalid index name"] },
    });
  }
  return name;
}

/**
 * Index keys and listing prefixes may be any well-formed string (NUL and control characters
 * included). A lone surrogate is refused: UTF-8 cannot encode it, so an adapter that stores keys
 * as UTF-8 (LMDB) would turn it into U+FFFD and match prefixes differently from the others.
 */
export function validateIndexKey(key: unknown, what = "index key"): string {
  if (typeof key !== "string") {
    throw new ValidationError(`${what} must be a string, got ${typeof key}`, { details: { issues: [`${what} not a string`] } });
  }
  if (LONE_SURROGATE.test(key)) {
    throw new ValidationError(`${what} contains a lone surrogate (not Unicode text; UTF-8 cannot store it)`, {
      details: { issues: [`${what} has a lone surrogate`] },
    });
  }
  return key;
}

/** ListOptions and CountOptions as they may arrive at run time (spi/types.ts imports this file). */
export interface ListOptionsShape {
  readonly index?: unknown;
  readonly prefix?: unknown;
  readonly after?: unknown;
  readonly limit?: unknown;
  readonly reverse?: unknown;
}

/**
 * Checks every option of a list or count (the SPI's read side), before an adapter looks at the
 * collection, so that each adapter refuses the same options with the same `E_VALIDATION`: the page
 * size, the cursor, the direction, the index name and the prefix. A prefix of ids needs no Unicode
 * check: ids are ASCII, so a prefix with a lone surrogate matches none anywhere.
 */
export function validateListOptions(options: ListOptionsShape): void {
  if (typeof options !== "object" || options === null) {
    throw new ValidationError(`list options must be an object, got ${options === null ? "null" : typeof options}`, {
      details: { issues: ["list options not an object"] },
    });
  }
  const { limit, after, reverse } = options;
  if (limit !== undefined) resolvePageSize(limit as number);
  if (after !== undefined) decodeCursor(after as string);
  // A truthy non-boolean would list backwards on one adapter (`if (reverse)`) and forwards on another (`=== true`).
  if (reverse !== undefined && typeof reverse !== "boolean") {
    throw new ValidationError(`reverse must be a boolean, got ${typeof reverse}`, { details: { issues: ["reverse not a boolean"] } });
  }
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw new ValidationError(`prefix must be a string, got ${typeof options.prefix}`, { details: { issues: ["prefix not a string"] } });
  }
  if (options.index === undefined) return;
  validateIndexName(options.index);
  if (options.prefix !== undefined) validateIndexKey(options.prefix, "prefix");
}

/** Deep-freezes a JSON value in place. Values handed out by the SPI are frozen so caches can share them. */
export function deepFreeze<T extends JsonValue>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    Object.freeze(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null && !Object.isFrozen(child)) stack.push(child);
    }
  }
  return value;
}

/** The longest idempotency key: 255 characters, as implementations of the IETF Idempotency-Key draft allow. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * An idempotency key: 1 to 255 printable ASCII characters (space to `~`), the IETF draft's string,
 * so the same key travels unchanged as an HTTP `Idempotency-Key` header and a command-line argument.
 */
export function validateIdempotencyKey(key: unknown): string {
  if (typeof key !== "string" || !/^[\x20-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError(`an idempotency key is 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`, {
      details: { issues: ["bad idempotencyKey"] },
    });
  }
  return key;
}

function checkWatchInt(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`watch option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      details: { issues: [`bad ${name}`] },
    });
  }
}

/**
 * Validates `watch` options at the call (in process and in the remote client), so a bad option fails
 * where it is written, not at the first `next()`.
 */
export function checkWatchOptions(options: WatchOptions): void {
  checkWatchInt("since", options.since, 0, Number.MAX_SAFE_INTEGER);
  checkWatchInt("pollMs", options.pollMs, 1, 60_000);
  checkWatchInt("idlePollMs", options.idlePollMs, 1, 60_000);
  checkWatchInt("batchSize", options.batchSize, 1, 10_000);
  if (options.session !== undefined) validateId(options.session, "session id");
  if (options.collections !== undefined) {
    if (!Array.isArray(options.collections) || options.collections.some((c) => typeof c !== "string" || c.length === 0)) {
      throw new ValidationError("watch option collections must be an array of collection names", {
        details: { issues: ["bad collections"] },
      });
    }
  }
}
