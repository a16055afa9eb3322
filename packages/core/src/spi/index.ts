/**
 * @statehouse/core/spi: what an adapter author needs, kept apart from the user API on
 * `@statehouse/core`. The adapter contract (types), the transaction runner and its buffer, the
 * sorted index, cursor, key-order and index-key codec helpers, process liveness, the URL registry,
 * the memory adapter (the reference implementation), index keys of the domain collections, and the
 * error helpers that turn an engine's or the system's failure into a typed StatehouseError.
 */
export type * from "./types.js";
export { compareKeys, compareEntries, decodeCursor, encodeCursor, resolvePageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./cursor.js";
export { SortedIndex, cursorOf, type IndexEntry } from "./sorted-index.js";
export { SELF, isGone, liveness, type Liveness, type ProcessIdentity } from "./process-info.js";
export { TxBuffer, runTransaction } from "./tx-buffer.js";
export { runTransactionGroup, groupOutcomes, type GroupRun, type GroupMemberOutcome } from "./tx-group.js";
export { GroupCommitter, type GroupCommitOptions } from "./group-commit.js";
export { openAdapterUrl, parseStoreUrl, registerAdapter, registeredSchemes } from "./registry.js";
export { MemoryAdapter, type MemoryAdapterOptions, openAdapter as openMemoryAdapter } from "../memory/memory-adapter.js";
export { DOMAIN_COLLECTIONS, indexKeysFor } from "../domain/index-keys.js";
export { deleteHistory } from "../domain/history.js";
export { WAIT_IDLE_NAME, WAIT_TICKET_NAME, WaitQueue, type WaitQueueOptions } from "./wait-queue.js";
export { pathExists } from "./path-exists.js";
export { MAX_IMPORTED_SEQUENCE, checkImportedChanges, checkImportSequence } from "./import-changes.js";
export { decodeKey, encodeKey, prefixRange } from "./key-codec.js";
export { conflict, fromSystemError } from "../errors.js";
