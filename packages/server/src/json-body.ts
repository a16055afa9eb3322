import { ValidationError } from "@statehouse/core";

/**
 * The deepest nesting of a JSON text, by a linear scan that skips strings: a body nested 100,000
 * deep is refused in microseconds, before `JSON.parse` or the store's validator walk it.
 */
export function jsonDepth(text: string, stopAt: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Parses a request body as JSON: 400 `E_VALIDATION` (malformed) or 422 (too deep), never a raw SyntaxError. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === "") return undefined;
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new ValidationError(`the body nests deeper than ${maxDepth} levels`, {
      details: { issues: [`nesting deeper than ${maxDepth}`] },
    });
  }
  try {
    // Plain JSON.parse: a "__proto__" key becomes an ordinary own property, exactly as in the library.
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`malformed JSON body: ${(err as Error).message}`, {
      details: { issues: ["malformed JSON"], malformed: true },
    });
  }
}
