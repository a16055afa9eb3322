/**
 * Normalized paths (RFC 9535 §2.7) and JSON Pointers (RFC 6901) for result nodes.
 */

const NEEDS_ESCAPE = /[\u0000-\u001f'\\]/;

/** One normalized-path segment: `[3]` or `['name']`, with the §2.7 escaping. */
export function pathSegment(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  if (!NEEDS_ESCAPE.test(key)) return `['${key}']`;
  let out = "['";
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x27) out += "\\'";
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20) out += key[i];
    else if (c === 0x08) out += "\\b";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0d) out += "\\r";
    else out += `\\u00${c < 0x10 ? "0" : ""}${c.toString(16)}`;
  }
  return `${out}']`;
}

const POINTER_ESCAPE = /[~/]/;

/** One JSON Pointer reference token, with `~` → `~0` and `/` → `~1`. */
export function pointerSegment(key: string | number): string {
  if (typeof key === "number") return `/${key}`;
  if (!POINTER_ESCAPE.test(key)) return `/${key}`;
  return `/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

/** The normalized path of a list of keys from the root. */
export function formatPath(keys: readonly (string | number)[]): string {
  let out = "$";
  for (const key of keys) out += pathSegment(key);
  return out;
}

/** The JSON Pointer of a list of keys from the root ("" is the root itself). */
export function formatPointer(keys: readonly (string | number)[]): string {
  let out = "";
  for (const key of keys) out += pointerSegment(key);
  return out;
}
