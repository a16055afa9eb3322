/** Milliseconds of a duration such as `500ms`, `30s`, `5m`, `1h` (a bare number is seconds); undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number.isFinite(n) && n <= 2_147_483_647 ? Math.round(n) : undefined;
}
