import { ValidationError } from "../errors.js";
import type { JsonObject } from "../json/types.js";

/**
 * The retention policy: the `retention` section of a project's config (the `default` project's
 * governs the store). Opt-in: without the section nothing is removed automatically; `store.gc()`
 * and `statehouse gc` with explicit limits work either way.
 */
export interface RetentionPolicy {
  /**
   * Ended sessions (completed, failed, cancelled) whose `endedAt` is older than this many seconds
   * are deleted with their state document and agents. Default (when the section exists) 30 days.
   */
  readonly endedSessionsMaxAgeSeconds: number;
  /** Change sets kept in the change log, at most. Default: no limit beyond the adapter's `changeRetention`. */
  readonly changeLogMaxEntries?: number;
  /** Change sets older than this many days are trimmed. Default: no age limit. */
  readonly changeLogMaxAgeDays?: number;
  /** How often the daemon runs gc, in seconds. Default 3,600 (hourly). */
  readonly scheduleSeconds: number;
}

export const RETENTION_DEFAULTS = { endedSessionsMaxAgeSeconds: 30 * 86_400, scheduleSeconds: 3_600 } as const;

/** The largest age accepted anywhere (100 years, in seconds): beyond it a date is not representable usefully. */
export const MAX_AGE_SECONDS = 100 * 365 * 86_400;

/** The JSON schema of the config's `retention` section (part of the built-in config schema). */
export const RETENTION_SCHEMA: JsonObject = {
  type: "object",
  properties: {
    endedSessionsMaxAgeSeconds: { type: "number", minimum: 0, maximum: MAX_AGE_SECONDS },
    changeLogMaxEntries: { type: "integer", minimum: 1, maximum: 1_000_000_000 },
    changeLogMaxAgeDays: { type: "number", exclusiveMinimum: 0, maximum: MAX_AGE_SECONDS / 86_400 },
    scheduleSeconds: { type: "number", minimum: 1, maximum: 7 * 86_400 },
    // Earlier names, read as endedSessionsMaxAgeSeconds (days) and changeLogMaxEntries.
    sessionsDays: { type: "integer", minimum: 1 },
    changes: { type: "integer", minimum: 1 },
  },
  additionalProperties: false,
};

function bad(what: string, value: unknown): never {
  throw new ValidationError(`retention ${what} is invalid: ${JSON.stringify(value)}`, { details: { issues: [`bad retention ${what}`] } });
}

function number(section: Record<string, unknown>, key: string, min: number, max: number, integer = false): number | undefined {
  const v = section[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) bad(key, v);
  return v;
}

/**
 * The policy a config's `retention` section gives, or undefined when it has none. Checked again
 * here (not only by the schema when the config was saved): a config stored under a replaced
 * schema, or by an older version, must meet a typed error rather than delete on a bad number.
 */
export function retentionPolicyOf(config: JsonObject | undefined): RetentionPolicy | undefined {
  const section = config?.retention;
  if (section === undefined) return undefined;
  if (typeof section !== "object" || section === null || Array.isArray(section)) bad("section", section);
  const s = section as Record<string, unknown>;
  const days = number(s, "sessionsDays", 1, MAX_AGE_SECONDS / 86_400, true);
  const maxAge = number(s, "endedSessionsMaxAgeSeconds", 0, MAX_AGE_SECONDS) ?? (days === undefined ? undefined : days * 86_400);
  const entries = number(s, "changeLogMaxEntries", 1, 1_000_000_000, true) ?? number(s, "changes", 1, 1_000_000_000, true);
  const ageDays = number(s, "changeLogMaxAgeDays", Number.MIN_VALUE, MAX_AGE_SECONDS / 86_400);
  return {
    endedSessionsMaxAgeSeconds: maxAge ?? RETENTION_DEFAULTS.endedSessionsMaxAgeSeconds,
    ...(entries !== undefined && { changeLogMaxEntries: entries }),
    ...(ageDays !== undefined && { changeLogMaxAgeDays: ageDays }),
    scheduleSeconds: number(s, "scheduleSeconds", 1, 7 * 86_400) ?? RETENTION_DEFAULTS.scheduleSeconds,
  };
}
