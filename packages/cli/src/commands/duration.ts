/** Milliseconds of a duration such as `500ms`, `30s`, `5m`, `1h` (a bare number is seconds); undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number.isFinite(n) && n <= 2_147_483_647 ? Math.round(n) : undefined;
}

/** The longest age `parseAge` accepts: 100 years. */
const MAX_AGE_MS = 100 * 365 * 86_400_000;

/**
 * Milliseconds of an age such as `0s`, `90m`, `12h`, `7d` (a bare number is seconds), for ages
 * longer than a timer can wait (`parseDuration` stops at 24.8 days); undefined if malformed.
 */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h" | "d"];
  return Number.isFinite(n) && n <= MAX_AGE_MS ? Math.round(n) : undefined;
}
