import type { IndexKeys, JsonValue } from "@statehouse/core";

/**
 * The domain's collections and the index keys it gives their records. The SPI's `list` returns
 * records without their index keys, so an import re-derives them from the values.
 *
 * MIRRORS packages/core/src/domain/{collections,sessions,agents}.ts — to move into core as an
 * exported `indexKeysFor(collection, value)` so the two cannot drift; until then the CLI's
 * migrate tests check that every index still answers after a copy.
 */
export const COLLECTIONS = ["state", "session-state", "sessions", "agents", "config", "tools"] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

const SEP = "\u0000";

export function isCollection(name: string): name is CollectionName {
  return (COLLECTIONS as readonly string[]).includes(name);
}

function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** The index keys the domain layer would have written with this record. */
export function indexKeysFor(collection: CollectionName, value: JsonValue): IndexKeys {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const v = value as Record<string, unknown>;
  if (collection === "sessions") {
    const status = text(v.status);
    const createdAt = text(v.createdAt);
    const updatedAt = text(v.updatedAt);
    const keys: Record<string, string> = {
      created: createdAt,
      updated: updatedAt,
      "status-created": `${status}${SEP}${createdAt}`,
      "status-updated": `${status}${SEP}${updatedAt}`,
    };
    if (typeof v.project === "string") {
      keys["project-created"] = `${v.project}${SEP}${createdAt}`;
      keys["project-updated"] = `${v.project}${SEP}${updatedAt}`;
    }
    return keys;
  }
  if (collection === "agents") {
    const sessionId = text(v.sessionId);
    const status = text(v.status);
    const createdAt = text(v.createdAt);
    return {
      session: `${sessionId}${SEP}${createdAt}`,
      "session-status": `${sessionId}${SEP}${status}${SEP}${createdAt}`,
      status: `${status}${SEP}${createdAt}`,
    };
  }
  return {};
}
