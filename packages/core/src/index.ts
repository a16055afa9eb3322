/**
 * @statehouse/core: the user API (open, Store and its documents and collections, errors, JSON and
 * query helpers, domain and adapter-contract types). What adapter authors need is on `@statehouse/core/spi`.
 */
export {
  ERROR_CODES,
  type ErrorCode,
  type StatehouseErrorOptions,
  StatehouseError,
  isStatehouseError,
  NotFoundError,
  ValidationError,
  InvalidQueryError,
  InvalidPathError,
  LockTimeoutError,
  CorruptError,
  StorageFullError,
  PermissionError,
  ClosedError,
  ConfigError,
  IoError,
  UnavailableError,
  ConflictError,
} from "./errors.js";
export type * from "./json/types.js";
export * from "./validation.js";
export type * from "./spi/types.js";
export { open, Store, type StoreOptions, type DashboardSnapshot, type SnapshotOptions } from "./domain/store.js";
export type { GroupCommitOptions } from "./spi/group-commit.js";
export type * from "./domain/store-api.js";
export { StateDocument, type UpdateOptions, type DocumentSnapshot } from "./domain/state-document.js";
export {
  HISTORY,
  HISTORY_META,
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  type HistoryEntry,
  type HistoryOptions,
  type ReadOptions,
} from "./domain/history.js";
export { Sessions } from "./domain/sessions.js";
export { Agents } from "./domain/agents.js";
export {
  Alerts,
  ALERTS,
  ALERT_KPIS,
  ALERT_STATES,
  type AlertKpi,
  type Alert,
  type AlertData,
  type AlertListOptions,
  type AlertState,
} from "./domain/alerts.js";
export {
  Leases,
  LEASES,
  MAX_TTL_MS,
  type Lease,
  type LeaseAcquireOptions,
  type LeaseRenewOptions,
  type LeaseFence,
} from "./domain/leases.js";
export {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  IDEMPOTENCY,
  IDEMPOTENCY_KEY_REUSED,
} from "./domain/idempotency.js";
export { type GcOptions, type GcReport, RETENTION_PROJECT } from "./domain/retention.js";
export { type RetentionPolicy, RETENTION_DEFAULTS, retentionPolicyOf } from "./domain/retention-policy.js";
export { PROJECT_AGENTS, markStale, type StaleOptions, type SessionAgents } from "./domain/agent-rules.js";
export { ProjectConfigs, type ConfigSchemaOptions } from "./domain/config.js";
export { BUILTIN_CONFIG_SCHEMA } from "./domain/config-schema.js";
export { Tools } from "./domain/tools.js";
export { watchChanges, type WatchOptions, type WatchEvent, type WatchChangeSet, type WatchReset } from "./domain/watch.js";
export { EntryFilter, type WatchFilterSource } from "./domain/watch-filter.js";
export { BATCH_OPERATIONS, type BatchOperation, type BatchOptions } from "./domain/batch.js";
export { Metrics, type MetricsListener, type OperationStats } from "./domain/metrics.js";
export * from "./domain/types.js";
export {
  parsePointer,
  formatPointer,
  getAt,
  setAt,
  deleteAt,
  mergePatch,
  applyPatch,
  incrementAt,
  jsonEqual,
  jsonDiff,
  type JsonPatchOperation,
  type IncrementResult,
} from "./json/index.js";
export {
  compileQuery,
  runQuery,
  isJsonPath,
  type CompiledQuery,
  type QueryNode,
  type QueryLimitsOptions,
  DEFAULT_MAX_MILLIS,
  DEFAULT_MAX_NODES,
} from "./query/index.js";
