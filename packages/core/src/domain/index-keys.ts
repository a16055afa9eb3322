import type { JsonValue } from "../json/types.js";
import type { IndexKeys } from "../spi/types.js";
import { PROJECT_AGENTS, agentIndexKeys } from "./agent-rules.js";
import { COLLECTION } from "./collections.js";
import { IDEMPOTENCY, IDEMPOTENCY_EXPIRES_INDEX } from "./idempotency.js";
import { ALERTS } from "./alerts.js";
import { HISTORY, HISTORY_META } from "./history.js";
import { LEASES } from "./leases.js";
import { sessionIndexKeys } from "./sessions.js";

/** Every collection the domain API writes, in a stable order (export, import, migrate, doctor). */
export const DOMAIN_COLLECTIONS: readonly string[] = [
  COLLECTION.state,
  COLLECTION.sessionState,
  COLLECTION.sessions,
  COLLECTION.agents,
  COLLECTION.config,
  COLLECTION.tools,
  PROJECT_AGENTS,
  LEASES,
  IDEMPOTENCY,
  ALERTS,
  HISTORY,
  HISTORY_META,
];

/**
 * The index entries the domain writes with a record of `collection`. The SPI lists records
 * without their index keys, so whoever copies records between stores (import, migrate)
 * re-derives them here, from the same functions the domain writes them with.
 */
export function indexKeysFor(collection: string, value: JsonValue): IndexKeys {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  if (collection === COLLECTION.sessions) return sessionIndexKeys(value as never);
  if (collection === COLLECTION.agents) return agentIndexKeys(value as never);
  if (collection === IDEMPOTENCY && typeof (value as { expiresAt?: unknown }).expiresAt === "string") {
    return { [IDEMPOTENCY_EXPIRES_INDEX]: (value as { expiresAt: string }).expiresAt };
  }
  return {};
}
