import { ValidationError } from "../errors.js";

/** Cursors are opaque to callers; inside they are the last (key, id) pair of a page. */
export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): { key: string; id: string } {
  if (typeof cursor !== "string") {
    throw new ValidationError(`a cursor must be a string, got ${typeof cursor}`, { details: { issues: ["invalid cursor"] } });
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
      return { key: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the typed error
  }
  throw new ValidationError(`invalid cursor ${JSON.stringify(cursor.slice(0, 40))}`, { details: { issues: ["invalid cursor"] } });
}

/** Compares strings by code point, which is the UTF-8 byte order SQLite and LMDB use. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Only surrogates (0xD800–0xDFFF) break UTF-16 order against code-point order: a surrogate
    // starts a code point above 0xFFFF, so it sorts after every non-surrogate unit.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Compares (key, id) pairs, the total order of every listing. */
export function compareEntries(aKey: string, aId: string, bKey: string, bId: string): number {
  return compareKeys(aKey, bKey) || compareKeys(aId, bId);
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 10_000;

export function resolvePageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`, {
      details: { issues: ["limit out of range"] },
    });
  }
  return limit;
}
