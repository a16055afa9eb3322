/**
 * Stored text (names, roles, metadata, ids, tool descriptions) can hold anything a writer put
 * there, including escape sequences that retitle a window, clear the screen, or hide text, and
 * newlines that forge table rows. Everything the CLI prints from the store to a terminal or a
 * `--plain` line goes through `terminalText` (JSON text through `terminalJson`), so a stored value
 * is always shown, never executed. `--json` output is left to JSON's own escaping.
 *
 * Every control code point is replaced by a visible escape, one by one — no attempt to parse and
 * drop sequences, so nothing can hide inside a half-parsed one and an operator sees what is stored:
 * `\n`, `\r`, `\t` for the usual three; `\xHH` for the other C0 codes, DEL and the C1 codes
 * (ESC is `\x1b`, CSI `\x9b`); `\u{HHHH}` for Unicode line separators and the bidirectional
 * controls that reorder what a reader sees.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/** Text safe to print on a terminal: every control character shown as a visible escape. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, visible);
}

const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text safe to print on a terminal and still the same JSON value: JSON.stringify already
 * escapes C0 codes, so DEL, the C1 codes and the Unicode controls are written as `\uHHHH` escapes
 * (valid in any JSON string, the only place such code points can be).
 */
export function terminalJson(jsonText: string): string {
  return jsonText.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
