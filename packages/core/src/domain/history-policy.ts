import type { JsonObject } from "../json/types.js";
import { MAX_HISTORY_LIMIT } from "./history.js";

/**
 * The history policy: the `history` section of the `default` project's config,
 * `{"history": {"limit": N}}`, read by every process that opens the store (the CLI, the daemon,
 * the library without an explicit `historyLimit`), so they all keep the same number of earlier
 * revisions per document. `StoreOptions.historyLimit`, when given, wins over it.
 */
export const HISTORY_PROJECT = "default";

/** How often a store re-reads the section (at most), in ms: a change made by another process applies within this. */
export const HISTORY_POLICY_REFRESH_MS = 1_000;

/** The JSON schema of the config's `history` section (part of the built-in config schema). */
export const HISTORY_SCHEMA: JsonObject = {
  type: "object",
  properties: {
    limit: { type: "integer", minimum: 0, maximum: MAX_HISTORY_LIMIT },
  },
  additionalProperties: false,
};

/**
 * The history limit a config's `history` section gives, or undefined when it has none or its
 * `limit` is not an integer from 0 to MAX_HISTORY_LIMIT (a config saved under a replaced schema):
 * the store then keeps its default rather than refuse every write over a config field.
 */
export function historyLimitOf(config: JsonObject | undefined): number | undefined {
  const section = config?.history;
  if (typeof section !== "object" || section === null || Array.isArray(section)) return undefined;
  const limit = (section as Record<string, unknown>).limit;
  return typeof limit === "number" && Number.isInteger(limit) && limit >= 0 && limit <= MAX_HISTORY_LIMIT ? limit : undefined;
}
