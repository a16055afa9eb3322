import type { JsonValue } from "../json/types.js";
import type { ValueLimitsOptions } from "../validation.js";

/**
 * The adapter SPI. Small on purpose: everything a user sees (documents, sessions, agents,
 * config, tools, batches) is written once in core on top of these few calls, so every adapter
 * behaves the same and the conformance suite can prove it.
 */

/** `strict`: a resolved write survives power loss. `relaxed`: it survives kill -9 of any process. */
export type Durability = "strict" | "relaxed";

/** A stored record. `value` is deep-frozen: callers must copy before changing it. */
export interface StoredRecord {
  readonly collection: string;
  readonly id: string;
  /** Starts at 1 and grows by exactly 1 per committed write of this record. */
  readonly revision: number;
  readonly value: JsonValue;
}

/**
 * Secondary index entries of a record: index name → sort key. A record is listed in an index
 * only if it has a key for it. Keys sort by their UTF-8 bytes (code-point order), ties by id.
 */
export type IndexKeys = Readonly<Record<string, string>>;

export interface WriteCondition {
  /** Write only if the record's current revision is this one (0 means: only if absent). */
  ifRevision?: number;
  /** Write only if the record does not exist. */
  ifAbsent?: boolean;
}

export interface PutOptions extends WriteCondition {
  index?: IndexKeys;
}

/** A write as the adapter must apply it, after core has checked conditions and numbered it. */
export type CommitWrite =
  | {
      readonly type: "put";
      readonly collection: string;
      readonly id: string;
      readonly value: JsonValue;
      /** The value's JSON text, already validated: adapters store it rather than serialise again. */
      readonly json: string;
      readonly index: IndexKeys;
      readonly revision: number;
    }
  | {
      readonly type: "delete";
      readonly collection: string;
      readonly id: string;
      /** The revision the record had when deleted. */
      readonly revision: number;
    };

/** The synchronous view a transaction function gets; it sees its own writes. */
export interface TxContext {
  get(collection: string, id: string): StoredRecord | undefined;
  /** Buffers a put; throws ConflictError at once if a condition fails. Returns the new revision. */
  put(collection: string, id: string, value: JsonValue, options?: PutOptions): number;
  /** Buffers a delete; throws ConflictError if a condition fails. Returns whether it existed. */
  delete(collection: string, id: string, options?: WriteCondition): boolean;
  /**
   * For copying stores only (import, migrate): buffers a put of the record AT `revision`, so a
   * record of revision R is copied in one write instead of R. Only where the record is absent or
   * at a lower revision (else ConflictError with the current revision); `revision` from 1 to
   * Number.MAX_SAFE_INTEGER (else ValidationError). Returns `revision`. Domain writes never use it:
   * revisions otherwise grow by exactly 1 per committed write. Optional: the shared `TxBuffer`
   * (which the file, SQLite, LMDB, PostgreSQL and memory adapters use) has it.
   */
  restore?(collection: string, id: string, value: JsonValue, revision: number, options?: RestoreOptions): number;
}

/** Options of `TxContext.restore`. */
export interface RestoreOptions {
  index?: IndexKeys;
}

export interface TransactResult<T> {
  readonly result: T;
  /** The change sequence number this transaction took; undefined when it wrote nothing. */
  readonly sequence: number | undefined;
}

/**
 * What one member of `transactGroup` came to: its result and the change sequence it took
 * (undefined when it wrote nothing), or what it threw (its writes were rolled back alone).
 */
export type GroupOutcome<T> =
  | { readonly ok: true; readonly result: T; readonly sequence: number | undefined }
  | { readonly ok: false; readonly error: unknown };

/** Options of `transactGroup`. */
export interface TransactGroupOptions {
  /**
   * Stop taking members once the JSON text validated by the members run so far reaches this many
   * characters (`TxBuffer.serializedLength`, summed): the members after are not run and get no
   * outcome, so the caller runs them in a later group. The first member always runs. Default:
   * no bound.
   */
  maxSerializedLength?: number;
}

export interface ListOptions {
  /** An index name used in `PutOptions.index`; omitted: list by id. */
  index?: string;
  /** Only keys (index keys, or ids when no index is given) that start with this. */
  prefix?: string;
  /** The opaque cursor of the previous page. */
  after?: string;
  /** Page size. Default 100, at most 10,000. */
  limit?: number;
  /** Descending order. */
  reverse?: boolean;
}

export interface ListPage {
  readonly records: StoredRecord[];
  /** Present when another page may follow; pass it as `after`. */
  readonly cursor?: string;
}

export interface CountOptions {
  index?: string;
  prefix?: string;
}

export interface ChangeEntry {
  readonly type: "put" | "delete";
  readonly collection: string;
  readonly id: string;
  readonly revision: number;
}

export interface ChangeSet {
  /** Strictly increasing, without gaps, across all processes sharing the store. */
  readonly sequence: number;
  /** Commit time, ISO 8601. */
  readonly at: string;
  readonly changes: readonly ChangeEntry[];
}

export interface AdapterCapabilities {
  /** Data survives close and reopen. */
  readonly persistent: boolean;
  /** Many processes may open the same store at once, with every guarantee kept. */
  readonly multiProcess: boolean;
  /** Durability modes supported; the first is the default. */
  readonly durability: readonly Durability[];
  /** The store lives in files: file modes, id traversal and fault clauses apply. */
  readonly filesystem: boolean;
  /** Corruption is detected, quarantined and recoverable from a last good copy. */
  readonly corruptionRecovery: boolean;
  /** `compact()` reclaims space. */
  readonly compaction: boolean;
  /** How many change sets the adapter keeps at least (older ones may be trimmed). */
  readonly changeRetention: number;
}

export interface IntegrityReport {
  readonly ok: boolean;
  /** Problems found, each naming the file or record. */
  readonly problems: string[];
  /** What was repaired (e.g. restored from the last good copy). */
  readonly repaired: string[];
}

/** Options of `StorageAdapter.importChanges`. */
export interface ImportChangesOptions {
  /** The sequence the caller left the store at (its own restore commits); E_CONFLICT otherwise. */
  ifSequence: number;
}

/** Options every adapter accepts. Adapter packages extend this with their own. */
export interface AdapterOptions {
  /** Default `strict`. */
  durability?: Durability;
  /** Value limits enforced before anything is written. Defaults: depth 64, 16 MiB. */
  limits?: ValueLimitsOptions;
  /** How long a write waits for another process's lock before E_LOCK_TIMEOUT. Default 10,000 ms. */
  lockTimeoutMs?: number;
  /**
   * Whether opening may create a store that does not exist. Default `true`. With `false`, a
   * persistent adapter whose location holds no store fails with E_NOT_FOUND and creates nothing
   * (no directory, no file): a read of a mistyped location must not leave an empty store behind.
   * Adapters without persistence (`memory:`) ignore it.
   */
  create?: boolean;
}

export interface StorageAdapter {
  /** The URL scheme: `memory`, `file`, `sqlite`, `lmdb`, … */
  readonly kind: string;
  readonly capabilities: AdapterCapabilities;
  readonly durability: Durability;
  get(collection: string, id: string): Promise<StoredRecord | undefined>;
  list(collection: string, options?: ListOptions): Promise<ListPage>;
  count(collection: string, options?: CountOptions): Promise<number>;
  /**
   * Runs `fn` serializably across every process sharing the store: no other transaction
   * commits between its reads and its writes. Its writes commit atomically, or not at all if
   * it throws. `fn` is synchronous so that engines with synchronous transactions can run it
   * inside one; it may run more than once (adapters may retry on a transient conflict).
   */
  transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>>;
  /**
   * Group commit: runs `fns` as separate transactions, one after another in order, each seeing
   * what the earlier ones wrote, exactly as if each had been given to `transact` in turn, except
   * that they become durable together in one physical commit (one fsync for all). Serializable
   * across processes as `transact` is: no other transaction commits between the first member's
   * reads and the last member's writes.
   *
   * - Each member that writes takes its own change set with its own sequence; the sequences of a
   *   group are consecutive, in member order. A record's revision grows by 1 per member that
   *   writes it (two increments of one counter: revisions r+1 and r+2, the record ends at r+2).
   * - A member that throws (a failed condition, a validation error) is rolled back alone: its
   *   writes vanish, the others commit, and its outcome carries what it threw.
   * - The outcomes are in member order; with `maxSerializedLength` they may cover only a prefix
   *   of `fns` (at least one): the rest were not run.
   * - If the physical commit fails, the promise rejects with the typed error and no member
   *   committed. Like `transact`, a member function may run more than once (when the adapter
   *   retries the physical commit), so it must have no effect outside `tx`.
   *
   * Optional: without it, callers run one `transact` per member (the file adapter has none).
   */
  transactGroup?<T>(fns: readonly ((tx: TxContext) => T)[], options?: TransactGroupOptions): Promise<GroupOutcome<T>[]>;
  /** Change sets with a sequence greater than `since`, in order, at most `limit` (default 1,000). */
  changes(since: number, limit?: number): Promise<ChangeSet[]>;
  /** The sequence number of the latest committed transaction (0 for an empty store). */
  sequence(): Promise<number>;
  /**
   * Resolves when a transaction after `sequence` may have committed (in any process), after at most
   * `timeoutMs`, or when `signal` aborts. A wake-up only, which may come early or spuriously: the
   * caller reads `sequence()` and `changes()` itself. For engines that can notify (PostgreSQL's
   * LISTEN); watchers of adapters without it poll `sequence()`.
   */
  waitForChange?(sequence: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Integrity check, repairing what can be repaired. */
  check?(options?: { repair?: boolean }): Promise<IntegrityReport>;
  /** Reclaims space after deletions. */
  compact?(): Promise<void>;
  /**
   * Removes the change sets with a sequence up to `through` (retention), oldest first, never the
   * latest committed one; resolves to how many it removed. Afterwards `changes(since)` with an
   * older `since` starts at the first change set kept, so a watcher sees the gap and reports a
   * reset. An adapter may keep a few more (whole files, say), never fewer. Callers bound the work
   * per call (core trims at most 1,000 change sets at a time).
   */
  trimChanges?(through: number): Promise<number>;
  /**
   * For copying stores only (import, migrate), once the records are restored: replaces the change
   * log by `changeSets` (their sequences, times and entries as given) and makes the last one's
   * sequence the store's, so the next commit takes last + 1 and a watcher resuming from a sequence
   * of the source sees neither a gap nor a reset. The change sets the copy itself committed are
   * dropped. Refused, changing nothing: E_CONFLICT when the store's sequence is not
   * `ifSequence` (another process committed since the caller looked), or when the last change
   * set's sequence is below it (the sequence would go back); E_VALIDATION when `changeSets` is
   * empty, its sequences are not consecutive integers from 1 to
   * MAX_IMPORTED_SEQUENCE, or an entry is malformed
   * (`checkImportedChanges`). Bounded: one pass over `changeSets`, whatever their sequence numbers.
   * Callers pass at most `capabilities.changeRetention` change sets (older ones would be trimmed).
   */
  importChanges?(changeSets: readonly ChangeSet[], options: ImportChangesOptions): Promise<void>;
  close(): Promise<void>;
}

/** What an adapter package exports, so `open(url)` can load it lazily. */
export interface AdapterModule {
  openAdapter(location: string, options?: AdapterOptions): Promise<StorageAdapter>;
}
