import { ClosedError } from "../errors.js";
import { resolvePageSize } from "../spi/cursor.js";
import { SortedIndex, cursorOf } from "../spi/sorted-index.js";
import { checkImportSequence, checkImportedChanges } from "../spi/import-changes.js";
import { runTransaction } from "../spi/tx-buffer.js";
import { groupOutcomes, runTransactionGroup } from "../spi/tx-group.js";
import type {
  ImportChangesOptions,
  AdapterCapabilities,
  AdapterOptions,
  ChangeSet,
  CommitWrite,
  CountOptions,
  Durability,
  IndexKeys,
  ListOptions,
  ListPage,
  StorageAdapter,
  GroupOutcome,
  StoredRecord,
  TransactGroupOptions,
  TransactResult,
  TxContext,
} from "../spi/types.js";
import { type ValueLimits, resolveLimits, validateListOptions } from "../validation.js";

/** Options of the memory adapter. */
export interface MemoryAdapterOptions extends AdapterOptions {
  /** Change sets kept for `changes()`. Default 10,000. */
  changeRetention?: number;
}

interface Entry {
  record: StoredRecord;
  index: IndexKeys;
}

const BY_ID = "\u0000id";

/**
 * The reference adapter: everything in one process's memory. Every other adapter must give the
 * same answers as this one (the conformance suite's model-based clause checks it).
 */
export class MemoryAdapter implements StorageAdapter {
  readonly kind = "memory";
  readonly capabilities: AdapterCapabilities;
  readonly durability: Durability;
  private readonly limits: ValueLimits;
  private readonly collections = new Map<string, Map<string, Entry>>();
  private readonly indexes = new Map<string, SortedIndex>();
  private log: ChangeSet[] = [];
  private seq = 0;
  private closed = false;
  // Transactions are serialised even in one process, because callers may interleave awaits.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: MemoryAdapterOptions = {}) {
    this.durability = options.durability ?? "strict";
    this.limits = resolveLimits(options.limits);
    this.capabilities = Object.freeze({
      persistent: false,
      multiProcess: false,
      durability: ["strict", "relaxed"] as const,
      filesystem: false,
      corruptionRecovery: false,
      compaction: false,
      changeRetention: options.changeRetention ?? 10_000,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("the store is closed");
  }

  private index(collection: string, name: string): SortedIndex {
    const k = `${collection}\u0000${name}`;
    let idx = this.indexes.get(k);
    if (idx === undefined) {
      idx = new SortedIndex();
      this.indexes.set(k, idx);
    }
    return idx;
  }

  private read(collection: string, id: string): StoredRecord | undefined {
    return this.collections.get(collection)?.get(id)?.record;
  }

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.assertOpen();
    return this.read(collection, id);
  }

  async list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    this.assertOpen();
    validateListOptions(options);
    const limit = resolvePageSize(options.limit);
    const { entries, more } = this.index(collection, options.index ?? BY_ID).scan({
      limit,
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.after !== undefined && { after: options.after }),
      ...(options.reverse !== undefined && { reverse: options.reverse }),
    });
    const records = entries.map((e) => this.read(collection, e.id)!);
    const last = entries[entries.length - 1];
    return more && last !== undefined ? { records, cursor: cursorOf(last) } : { records };
  }

  async count(collection: string, options: CountOptions = {}): Promise<number> {
    this.assertOpen();
    validateListOptions(options);
    return this.index(collection, options.index ?? BY_ID).countPrefix(options.prefix ?? "");
  }

  async transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    this.assertOpen();
    const run = this.queue.then(() => {
      this.assertOpen();
      const { result, writes } = runTransaction(fn, (c, id) => this.read(c, id), this.limits);
      if (writes.length === 0) return { result, sequence: undefined };
      this.apply(writes);
      return { result, sequence: this.seq };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async transactGroup<T>(fns: readonly ((tx: TxContext) => T)[], options?: TransactGroupOptions): Promise<GroupOutcome<T>[]> {
    this.assertOpen();
    const run = this.queue.then(() => {
      this.assertOpen();
      const group = runTransactionGroup(fns, (c, id) => this.read(c, id), this.limits, options);
      const first = this.seq + 1;
      // The records take their final state once; each writing member gets its own change set.
      this.store(group.writes);
      for (const writes of group.members) this.logChanges(writes);
      return groupOutcomes(group, first);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private apply(writes: CommitWrite[]): void {
    this.store(writes);
    this.logChanges(writes);
  }

  /** Applies the writes to the records and their indexes. */
  private store(writes: readonly CommitWrite[]): void {
    for (const w of writes) {
      let coll = this.collections.get(w.collection);
      if (coll === undefined) {
        coll = new Map();
        this.collections.set(w.collection, coll);
      }
      const old = coll.get(w.id);
      if (old !== undefined) {
        this.index(w.collection, BY_ID).remove(w.id, w.id);
        for (const [name, key] of Object.entries(old.index)) this.index(w.collection, name).remove(key, w.id);
      }
      if (w.type === "put") {
        coll.set(w.id, { record: { collection: w.collection, id: w.id, revision: w.revision, value: w.value }, index: w.index });
        this.index(w.collection, BY_ID).insert(w.id, w.id);
        for (const [name, key] of Object.entries(w.index)) this.index(w.collection, name).insert(key, w.id);
      } else {
        coll.delete(w.id);
      }
    }
  }

  /** Takes the next sequence and logs the writes as its change set. */
  private logChanges(writes: readonly CommitWrite[]): void {
    this.seq += 1;
    this.log.push({
      sequence: this.seq,
      at: new Date().toISOString(),
      changes: writes.map((w) => ({ type: w.type, collection: w.collection, id: w.id, revision: w.revision })),
    });
    // Trimmed in batches: splicing the front of a 10,000-entry array on every commit was half of a write.
    const retention = this.capabilities.changeRetention;
    if (this.log.length > retention + Math.max(64, retention >> 3)) this.log.splice(0, this.log.length - retention);
  }

  async changes(since: number, limit = 1000): Promise<ChangeSet[]> {
    this.assertOpen();
    const first = this.log[0]?.sequence ?? this.seq + 1;
    const oldest = this.seq - this.capabilities.changeRetention + 1;
    const start = Math.max(0, Math.max(since + 1, oldest) - first);
    return this.log.slice(start, start + limit);
  }

  async trimChanges(through: number): Promise<number> {
    this.assertOpen();
    const upTo = Math.min(through, this.seq - 1);
    let n = 0;
    while (n < this.log.length && this.log[n]!.sequence <= upTo) n++;
    this.log.splice(0, n);
    return n;
  }

  async importChanges(changeSets: readonly ChangeSet[], options: ImportChangesOptions): Promise<void> {
    this.assertOpen();
    checkImportedChanges(changeSets);
    // In the write queue: no commit of this adapter lands between the check and the swap.
    const run = this.queue.then(() => {
      this.assertOpen();
      checkImportSequence(this.seq, options.ifSequence, changeSets);
      const kept = changeSets.slice(-this.capabilities.changeRetention);
      this.log = kept.map((set) =>
        Object.freeze({
          sequence: set.sequence,
          at: set.at,
          changes: Object.freeze(
            set.changes.map((e) => Object.freeze({ type: e.type, collection: e.collection, id: e.id, revision: e.revision })),
          ),
        }),
      );
      this.seq = changeSets[changeSets.length - 1]!.sequence;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async sequence(): Promise<number> {
    this.assertOpen();
    return this.seq;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export async function openAdapter(_location: string, options?: MemoryAdapterOptions): Promise<StorageAdapter> {
  return new MemoryAdapter(options);
}
