export * from "./errors.js";
export type * from "./json/types.js";
export * from "./validation.js";
export type * from "./spi/types.js";
export { compareKeys, compareEntries, decodeCursor, encodeCursor, resolvePageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./spi/cursor.js";
export { SortedIndex, cursorOf, type IndexEntry } from "./spi/sorted-index.js";
export { SELF, isGone, liveness, type Liveness, type ProcessIdentity } from "./spi/process-info.js";
export { TxBuffer, runTransaction } from "./spi/tx-buffer.js";
export { MemoryAdapter, type MemoryAdapterOptions } from "./memory/memory-adapter.js";
export { openAdapterUrl, parseStoreUrl, registerAdapter, registeredSchemes } from "./spi/registry.js";
export { openAdapter as openMemoryAdapter } from "./memory/memory-adapter.js";
export { open, Store, type StoreOptions, type DashboardSnapshot, type SnapshotOptions } from "./domain/store.js";
export type * from "./domain/store-api.js";
export { StateDocument, type UpdateOptions, type DocumentSnapshot } from "./domain/state-document.js";
export { Sessions } from "./domain/sessions.js";
export { Agents } from "./domain/agents.js";
export { Leases, LEASES, MAX_TTL_MS, type Lease, type LeaseAcquireOptions, type LeaseRenewOptions, type LeaseFence } from "./domain/leases.js";
export {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  IDEMPOTENCY,
  IDEMPOTENCY_KEY_REUSED,
} from "./domain/idempotency.js";
export { PROJECT_AGENTS, markStale, type StaleOptions, type SessionAgents } from "./domain/agent-rules.js";
export { ProjectConfigs, type ConfigSchemaOptions } from "./domain/config.js";
export { BUILTIN_CONFIG_SCHEMA } from "./domain/config-schema.js";
export { Tools } from "./domain/tools.js";
export { watchChanges, type WatchOptions, type WatchEvent, type WatchChangeSet, type WatchReset } from "./domain/watch.js";
export { BATCH_OPERATIONS, type BatchOperation, type BatchOptions } from "./domain/batch.js";
export { Metrics, type MetricsListener, type OperationStats } from "./domain/metrics.js";
export * from "./domain/types.js";
export { parsePointer, formatPointer, getAt, setAt, deleteAt, mergePatch, applyPatch, incrementAt, jsonEqual, type JsonPatchOperation, type IncrementResult } from "./json/index.js";
export { compileQuery, runQuery, isJsonPath, type CompiledQuery, type QueryNode, type QueryLimitsOptions, DEFAULT_MAX_MILLIS, DEFAULT_MAX_NODES } from "./query/index.js";
export { DOMAIN_COLLECTIONS, indexKeysFor } from "./domain/index-keys.js";
export { pathExists } from "./spi/path-exists.js";
export { decodeKey, encodeKey, prefixRange } from "./spi/key-codec.js";
