import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** A truncation note in place of a text over the size cap: still JSON, and it says what to do. */
export function capText(text: string, maxBytes: number): string {
  // Bytes only matter near the cap; string length bounds them from below, and from above at 3 per unit.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= maxBytes) return text;
  // The note's own fields take a few hundred bytes; the preview gets what is left, in whole characters.
  const room = Math.max(0, Math.floor((maxBytes - 400) / 3));
  return JSON.stringify({
    truncated: true,
    bytes,
    maxBytes,
    preview: text.slice(0, room),
    hint: "The result was too large to return whole. Ask for less: a JSON Pointer or JSONPath to the part you need, or a smaller limit.",
  });
}

/** A successful tool result: one text block of compact JSON, capped in size. */
export function jsonResult(value: unknown, maxBytes: number): CallToolResult {
  return { content: [{ type: "text", text: capText(JSON.stringify(value), maxBytes) }] };
}
