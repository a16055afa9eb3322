export { type App, type AppState, SERVER_VERSION, createApp } from "./app.js";
export type { EventStats } from "./events.js";
export type { McpStatus } from "./mcp.js";
export type { AlertsOptions } from "./alerts/evaluator.js";
export type { RetentionScheduleOptions } from "./retention/scheduler.js";
export { KPIS, type KpiDefinition } from "./alerts/kpis.js";
export { ALERT_DEFAULTS } from "./alerts/rules.js";
export {
  type AppLimits,
  type AppLimitsOptions,
  type AppOptions,
  type AuthFailure,
  type AuthHook,
  type AuthRequest,
  DEFAULT_LIMITS,
} from "./options.js";
export type { Problem } from "./problem.js";
export type { CliRequest, CliResponse, CliRunner } from "./cli-runner.js";
