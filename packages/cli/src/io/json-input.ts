import { ValidationError } from "@statehouse/core";
import { refuseWhenForwarded } from "./forwarded.js";
import { caretExcerpt, lineColumn, locateJsonError } from "./json-locate.js";

/**
 * Parses JSON given on the command line or on stdin. On failure the error says which input
 * (`what`, e.g. "VALUE" or "stdin line 3") broke where, with line, column, offset and a caret.
 */
export function parseJsonInput(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const problem = locateJsonError(text) ?? { offset: 0, reason: "not valid JSON" };
    const { line, column } = lineColumn(text, problem.offset);
    const hint =
      /^[A-Za-z_][\w .-]*$/.test(text.trim()) && text.trim() !== ""
        ? `\n  (a string must be quoted as JSON: '${JSON.stringify(text.trim())}')`
        : "";
    throw new ValidationError(
      `${what} is not valid JSON: ${problem.reason} at line ${line}, column ${column} (offset ${problem.offset})\n${caretExcerpt(text, problem.offset)}${hint}`,
      { details: { issues: [`${what}: ${problem.reason}`], input: what, line, column, offset: problem.offset } },
    );
  }
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  refuseWhenForwarded("reads stdin");
  // Someone typing at a terminal would otherwise see a command that seems to hang.
  if (process.stdin.isTTY) process.stderr.write("statehouse: reading JSON from stdin; end it with Ctrl-D\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
