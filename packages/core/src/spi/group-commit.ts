import { ConfigError, IoError } from "../errors.js";
import type { GroupOutcome, StorageAdapter, TransactResult, TxContext } from "./types.js";

/** Options of a `GroupCommitter`. */
export interface GroupCommitOptions {
  /** At most this many transactions per physical commit. Default 256. */
  maxMembers?: number;
  /**
   * A group stops taking members once their validated JSON text reaches this many characters
   * (see `TransactGroupOptions.maxSerializedLength`), so that one group cannot hold the write lock
   * for long; the rest wait for the next group. Default 4 MiB.
   */
  maxSerializedLength?: number;
}

interface Waiting {
  fn: (tx: TxContext) => unknown;
  resolve: (r: TransactResult<unknown>) => void;
  reject: (err: unknown) => void;
}

const DEFAULT_MAX_MEMBERS = 256;
const DEFAULT_MAX_SERIALIZED = 4 * 1024 * 1024;

/**
 * Group commit over an adapter's `transactGroup`: transactions asked for while a commit is in
 * flight (or in the same event-loop turn) queue up, and when the flight ends the queue commits as
 * one group: one physical commit, one fsync, while each caller still gets its own result, sequence
 * or error, as if it had called `transact` (the adapter keeps every member its own transaction).
 * One commit at a time per committer: under load the groups grow by themselves, and a lone call
 * waits only for the end of the current event-loop turn. An adapter without `transactGroup`
 * (the file adapter) is passed through: every call is its own `transact`.
 */
export class GroupCommitter {
  private readonly queue: Waiting[] = [];
  private inFlight = false;
  private scheduled = false;
  private readonly maxMembers: number;
  private readonly maxSerializedLength: number;

  constructor(
    private readonly adapter: StorageAdapter,
    options: GroupCommitOptions = {},
  ) {
    this.maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
    this.maxSerializedLength = options.maxSerializedLength ?? DEFAULT_MAX_SERIALIZED;
    // A bound that is not a positive number would make groups empty, and the queue spin.
    if (!Number.isInteger(this.maxMembers) || this.maxMembers < 1)
      throw new ConfigError(`groupCommit.maxMembers must be an integer ≥ 1, got ${String(options.maxMembers)}`);
    if (!(this.maxSerializedLength > 0))
      throw new ConfigError(`groupCommit.maxSerializedLength must be a number > 0, got ${String(options.maxSerializedLength)}`);
  }

  /** Same contract as `StorageAdapter.transact`. */
  transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    if (this.adapter.transactGroup === undefined) return this.adapter.transact(fn);
    return new Promise<TransactResult<T>>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (r: TransactResult<unknown>) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every request parsed in this I/O turn joins the group.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    this.inFlight = true;
    const taken = this.queue.splice(0, this.maxMembers);
    try {
      if (taken.length === 1) {
        // Alone: the single-transaction path, exactly as without the committer.
        const only = taken[0]!;
        await this.adapter.transact(only.fn).then(only.resolve, only.reject);
        return;
      }
      let outcomes: GroupOutcome<unknown>[];
      try {
        outcomes = await this.adapter.transactGroup!(
          taken.map((w) => w.fn),
          { maxSerializedLength: this.maxSerializedLength },
        );
      } catch (err) {
        // The physical commit failed: no member committed, every caller gets the typed error.
        for (const w of taken) w.reject(err);
        return;
      }
      if (outcomes.length === 0) {
        // The SPI promises at least one outcome; without this guard the queue would never drain.
        const err = new IoError(`the ${this.adapter.kind} adapter's transactGroup ran no member of a group of ${taken.length}`);
        for (const w of taken) w.reject(err);
        return;
      }
      taken.forEach((w, i) => {
        const o = outcomes[i];
        if (o === undefined) return;
        if (o.ok) w.resolve({ result: o.result, sequence: o.sequence });
        else w.reject(o.error);
      });
      // Members past the size bound were not run: first in line for the next group.
      if (outcomes.length < taken.length) this.queue.unshift(...taken.slice(outcomes.length));
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
