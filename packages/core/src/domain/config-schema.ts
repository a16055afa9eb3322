import type { JsonObject } from "../json/types.js";
import { ALERT_KPIS } from "./alerts.js";
import { HISTORY_SCHEMA } from "./history-policy.js";
import { RETENTION_SCHEMA } from "./retention-policy.js";

const seconds = (max: number) => ({ type: "number", exclusiveMinimum: 0, maximum: max });

/** A KPI's overrides: its threshold (in the KPI's unit), window, time above it before firing, or off. */
const ALERT_RULE: JsonObject = {
  type: "object",
  properties: {
    threshold: { type: "number" },
    windowSeconds: seconds(86_400),
    forSeconds: { type: "number", minimum: 0, maximum: 86_400 },
    enabled: { type: "boolean" },
  },
  additionalProperties: false,
};

/**
 * The built-in schema of a project's configuration (JSON Schema 2020-12). It pins the fields
 * statehouse and its tools read, and leaves the rest open so projects can add their own; pass
 * `config: { schema, mode: "extend" | "replace" }` to `open()` to tighten or swap it.
 */
export const BUILTIN_CONFIG_SCHEMA: JsonObject = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://statehouse.dev/schemas/project-config.json",
  title: "statehouse project configuration",
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 200 },
    description: { type: "string", maxLength: 2000 },
    version: { type: "integer", minimum: 1 },
    maxConcurrentAgents: { type: "integer", minimum: 1, maximum: 10000 },
    defaultRole: { type: "string", minLength: 1 },
    heartbeatTimeoutSeconds: { type: "number", exclusiveMinimum: 0 },
    roles: {
      type: "object",
      additionalProperties: {
        type: "object",
        properties: {
          model: { type: "string", minLength: 1 },
          maxTurns: { type: "integer", minimum: 1 },
          tools: { type: "array", items: { type: "string" }, uniqueItems: true },
          prompt: { type: "string" },
        },
      },
    },
    tools: { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true },
    // Read by store.gc() and the daemon's retention schedule (see RetentionPolicy); opt-in.
    retention: RETENTION_SCHEMA,
    // Read by every store without an explicit historyLimit (see history-policy.ts).
    history: HISTORY_SCHEMA,
    env: { type: "object", additionalProperties: { type: "string" } },
    // Read by the daemon's alert evaluator on every evaluation, so a change applies while it runs.
    alerts: {
      type: "object",
      properties: {
        // The daemon judges alerts once this section exists (`{}` takes every default); false pauses it.
        enabled: { type: "boolean" },
        evaluateEverySeconds: { type: "number", minimum: 0.1, maximum: 3600 },
        windowSeconds: seconds(86_400),
        forSeconds: { type: "number", minimum: 0, maximum: 86_400 },
        keepResolved: { type: "integer", minimum: 0, maximum: 500 },
        rules: { type: "object", properties: Object.fromEntries(ALERT_KPIS.map((k) => [k, ALERT_RULE])), additionalProperties: false },
      },
      additionalProperties: false,
    },
  },
};
