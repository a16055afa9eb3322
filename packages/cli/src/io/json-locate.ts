/**
 * Finds where a JSON text breaks. `JSON.parse` says only that it failed (and Node 20 often not
 * where), so when it fails this small scanner walks the text per RFC 8259 and names the first
 * offending offset and what was expected there.
 */
export interface JsonSyntaxProblem {
  /** UTF-16 offset of the first character that cannot be part of valid JSON. */
  readonly offset: number;
  readonly reason: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function locateJsonError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const describe = (at: number): string => {
    if (at >= n) return "the text ends";
    const ch = text[at]!;
    const code = ch.charCodeAt(0);
    return code < 0x20 ? `control character U+${code.toString(16).padStart(4, "0").toUpperCase()}` : `unexpected ${JSON.stringify(ch)}`;
  };
  const fail = (expected: string, at = i): JsonSyntaxProblem => ({ offset: at, reason: `${describe(at)}; expected ${expected}` });

  const string = (): JsonSyntaxProblem | undefined => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return fail("a closing '\"' (control characters must be escaped)");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail("four hex digits after \\u", i + 2);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return { offset: i + 1, reason: `${describe(i + 1)}; expected an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)` };
      } else i++;
    }
    return fail("a closing '\"'");
  };

  const number = (): JsonSyntaxProblem | undefined => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === "-") return fail("a number", m === null ? i : i + 1);
    i += m[0].length;
    const next = text.charCodeAt(i);
    if ((next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x65 || next === 0x45)
      return fail("a valid number (no leading zeros, digits after '.' and 'e')");
    return undefined;
  };

  // Containers are tracked on an explicit stack, so hostile nesting cannot overflow ours.
  const stack: Array<"[" | "{"> = [];
  const value = (): JsonSyntaxProblem | undefined => {
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return undefined;
      }
    }
    return fail("a JSON value (object, array, string, number, true, false or null)");
  };

  ws();
  for (;;) {
    // Expect a value (possibly opening a container).
    ws();
    const c = text[i];
    let opened = false;
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") i++;
      else {
        stack.push("[");
        opened = true;
      }
    } else if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") i++;
      else {
        if (text[i] !== '"') return fail("a '\"' starting a member name, or '}'");
        const p = string();
        if (p) return p;
        ws();
        if (text[i] !== ":") return fail("':' after the member name");
        i++;
        stack.push("{");
        opened = true;
      }
    } else {
      const p = value();
      if (p) return p;
    }
    if (opened) continue;
    // After a value: close containers or move to the next element.
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (i < n) return fail("the end of the text (only one JSON value is allowed)");
        return undefined;
      }
      const d = text[i];
      if (d === ",") {
        i++;
        if (top === "{") {
          ws();
          if (text[i] !== '"') return fail("a '\"' starting the next member name");
          const p = string();
          if (p) return p;
          ws();
          if (text[i] !== ":") return fail("':' after the member name");
          i++;
        }
        break;
      }
      if ((top === "[" && d === "]") || (top === "{" && d === "}")) {
        stack.pop();
        i++;
        continue;
      }
      return fail(top === "[" ? "',' or ']'" : "',' or '}'");
    }
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** The line around an offset with a caret under it, at most ~70 columns wide. */
export function caretExcerpt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  let lineEnd = text.indexOf("\n", offset);
  if (lineEnd === -1) lineEnd = text.length;
  const width = 70;
  let from = lineStart;
  if (offset - from > width - 10) from = offset - (width - 10);
  const to = Math.min(lineEnd, from + width);
  const shown = text.slice(from, to).replace(/[\x00-\x1f]/g, " ");
  const prefix = from > lineStart ? "…" : "";
  const suffix = to < lineEnd ? "…" : "";
  return `  ${prefix}${shown}${suffix}\n  ${" ".repeat(prefix.length + offset - from)}^`;
}
