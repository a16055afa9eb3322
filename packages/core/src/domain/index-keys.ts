import type { JsonValue } from "../json/types.js";
import type { IndexKeys } from "../spi/types.js";
import { PROJECT_AGENTS, agentIndexKeys } from "./agent-rules.js";
import { C } from "./collections.js";
import { ALERTS } from "./alerts.js";
import { LEASES } from "./leases.js";
import { sessionIndexKeys } from "./sessions.js";

/** Every collection the domain API writes, in a stable order (export, import, migrate, doctor). */
export const DOMAIN_COLLECTIONS: readonly string[] = [C.state, C.sessionState, C.sessions, C.agents, C.config, C.tools, PROJECT_AGENTS, LEASES, ALERTS];

/**
 * The index entries the domain writes with a record of `collection`. The SPI lists records
 * without their index keys, so whoever copies records between stores (import, migrate)
 * re-derives them here, from the same functions the domain writes them with.
 */
export function indexKeysFor(collection: string, value: JsonValue): IndexKeys {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  if (collection === C.sessions) return sessionIndexKeys(value as never);
  if (collection === C.agents) return agentIndexKeys(value as never);
  return {};
}
