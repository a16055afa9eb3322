import { InvalidPathError } from "../errors.js";
import { isForbiddenKey } from "../validation.js";
import type { JsonValue } from "./types.js";

/**
 * RFC 6901 JSON Pointer.
 *
 * Error rule shared by every operation in this folder: a pointer that is malformed, names the
 * forbidden key `__proto__`, or uses a token that cannot name an array element (`01`, `1e0`,
 * `foo`, or `-` where a value must be read) throws `InvalidPathError`; a well-formed pointer that
 * simply leads nowhere (missing member, index past the end, member of a scalar) makes `getAt`
 * return `undefined`, and makes the operations that need a value there throw `NotFoundError`.
 */

const SLASH = 47;
const TILDE = 126;

/**
 * Parses a JSON Pointer into its unescaped reference tokens. `""` is the whole document (no
 * tokens); anything else must start with `/`. `~1` means `/` and `~0` means `~`; any other `~`
 * is invalid. The key `__proto__` is refused, so no token can reach a prototype.
 * @throws InvalidPathError
 */
export function parsePointer(pointer: string): string[] {
  if (typeof pointer !== "string") {
    throw new InvalidPathError(`a JSON Pointer must be a string, got ${typeof pointer}`, { details: { pointer: String(pointer) } });
  }
  if (pointer === "") return [];
  if (pointer.charCodeAt(0) !== SLASH) {
    throw new InvalidPathError(`invalid JSON Pointer ${quote(pointer)}: it must be "" (the whole document) or start with "/"`, {
      details: { pointer },
    });
  }
  const tokens = pointer.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!;
    if (token.includes("~")) tokens[i] = token = unescapeToken(token, pointer);
    if (isForbiddenKey(token)) {
      throw new InvalidPathError(`invalid JSON Pointer ${quote(pointer)}: the key "${token}" is not allowed`, {
        details: { pointer },
      });
    }
  }
  return tokens;
}

function unescapeToken(token: string, pointer: string): string {
  for (let i = 0; i < token.length; i++) {
    if (token.charCodeAt(i) !== TILDE) continue;
    const next = token[i + 1];
    if (next !== "0" && next !== "1") {
      throw new InvalidPathError(`invalid JSON Pointer ${quote(pointer)}: "~" must be followed by 0 (for "~") or 1 (for "/")`, {
        details: { pointer },
      });
    }
  }
  // ~1 first, so that "~01" becomes the literal "~1" rather than "/".
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Escapes one reference token (`~` → `~0`, `/` → `~1`). */
export function escapeToken(token: string): string {
  if (!token.includes("~") && !token.includes("/")) return token;
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Formats reference tokens as a JSON Pointer (`[]` → `""`, `["a/b", "0"]` → `"/a~1b/0"`).
 * @throws InvalidPathError for the key `__proto__`, as `parsePointer` would.
 */
export function formatPointer(tokens: readonly string[]): string {
  let out = "";
  for (const token of tokens) {
    const text = String(token);
    if (isForbiddenKey(text))
      throw new InvalidPathError(`the key "${text}" is not allowed in a JSON Pointer`, { details: { token: text } });
    out += `/${escapeToken(text)}`;
  }
  return out;
}

/** The pointer made of the first `depth` tokens, for messages; never throws. */
export function prefixOf(tokens: readonly string[], depth: number): string {
  let out = "";
  for (let i = 0; i < depth; i++) out += `/${escapeToken(tokens[i]!)}`;
  return out;
}

/** Marks the `-` token: the position after an array's last element. */
export const END = -1;

/**
 * Resolves the token at `tokens[depth]` against an array: its index (possibly past the end), or
 * `END` for `-` when `allowEnd`. RFC 6901 allows only `0` or digits without a leading zero.
 * @throws InvalidPathError for any other token, and for `-` when a value must exist there.
 */
export function arrayIndex(tokens: readonly string[], depth: number, pointer: string, allowEnd: boolean): number {
  const token = tokens[depth]!;
  if (token === "-") {
    if (allowEnd) return END;
    throw new InvalidPathError(
      `invalid JSON Pointer ${quote(pointer)}: "-" at ${shown(prefixOf(tokens, depth))} names the position after the last element, which holds no value`,
      { details: { pointer } },
    );
  }
  const n = token.length;
  let valid = n > 0 && (n === 1 || token.charCodeAt(0) !== 48);
  for (let i = 0; valid && i < n; i++) {
    const c = token.charCodeAt(i);
    valid = c >= 48 && c <= 57;
  }
  if (!valid) {
    throw new InvalidPathError(
      `invalid JSON Pointer ${quote(pointer)}: ${quote(token)} is not an array index for the array at ${shown(prefixOf(tokens, depth))} (use 0, 1, 2… without leading zeros, or "-" for the end)`,
      { details: { pointer } },
    );
  }
  // A huge digit string is still an index, just past any array's end.
  return Number(token);
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value at `pointer`, or `undefined` when there is none (missing member, index past the end,
 * member of a scalar). Only own properties are seen: `/constructor` of `{}` is `undefined`.
 * @throws InvalidPathError for a malformed pointer or a token that cannot index an array.
 */
export function getAt(doc: JsonValue, pointer: string): JsonValue | undefined {
  return getByTokens(doc, parsePointer(pointer), pointer);
}

/** `getAt` on already-parsed tokens. */
export function getByTokens(doc: JsonValue, tokens: readonly string[], pointer: string): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (let i = 0; i < tokens.length; i++) {
    if (Array.isArray(node)) {
      const index = arrayIndex(tokens, i, pointer, false);
      node = index < node.length ? node[index] : undefined;
    } else if (isJsonObject(node)) {
      const key = tokens[i]!;
      node = Object.hasOwn(node, key) ? node[key] : undefined;
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** A short description of a value's type, for messages ("a number", "an array of 3"). */
export function describeValue(value: JsonValue | undefined): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** A JSON-quoted string, shortened so that a hostile 1 MB pointer does not become a 1 MB message. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** How a pointer reads in messages: `""` is shown as "the document root". */
export function shown(pointer: string): string {
  return pointer === "" ? "the document root" : quote(pointer);
}
