import type { ValueLimits } from "../validation.js";
import { TxBuffer } from "./tx-buffer.js";
import type { CommitWrite, GroupOutcome, StoredRecord, TransactGroupOptions, TxContext } from "./types.js";

/** One member's outcome before sequences are known: `member` indexes `GroupRun.members` when it wrote. */
export type GroupMemberOutcome<T> =
  | { readonly ok: true; readonly result: T; readonly member: number | undefined }
  | { readonly ok: false; readonly error: unknown };

/** What `runTransactionGroup` hands the adapter to commit in one physical transaction. */
export interface GroupRun<T> {
  /** Per member run, in order: a prefix of the functions (see `TransactGroupOptions.maxSerializedLength`). */
  readonly outcomes: GroupMemberOutcome<T>[];
  /** The net writes of each member that wrote, in order: member i takes the group's first sequence + i. */
  readonly members: CommitWrite[][];
  /** The records' final state after the whole group, one write per record, in first-touch order. */
  readonly writes: CommitWrite[];
  /** For each of `writes`, the index in `members` of the last member that wrote that record (its sequence is the record's). */
  readonly lastWriter: number[];
}

const key = (collection: string, id: string) => `${collection}\u0000${id}`;

function isThenable(value: unknown): boolean {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs the members of a group commit against a committed-read function, each in its own
 * TxBuffer over an overlay of what the earlier members sealed: the overlay is the savepoint. A
 * member that throws loses its buffer and nothing else; one that returns seals its writes into the
 * overlay, so the next member reads them and numbers its revisions from them, exactly as a
 * separate transaction would after a commit. The single-transaction path (`runTransaction`) is
 * untouched by this: a group costs one buffer per member and one overlay lookup per first read.
 */
export function runTransactionGroup<T>(
  fns: readonly ((tx: TxContext) => T)[],
  read: (collection: string, id: string) => StoredRecord | undefined,
  limits: ValueLimits,
  options: TransactGroupOptions = {},
): GroupRun<T> {
  const budget = options.maxSerializedLength ?? Number.POSITIVE_INFINITY;
  /** What the sealed members left: a record, or undefined once deleted. */
  const overlay = new Map<string, StoredRecord | undefined>();
  /** Whether each touched record existed before the group (a final delete of a new record writes nothing). */
  const existed = new Map<string, boolean>();
  const through = (collection: string, id: string): StoredRecord | undefined => {
    const k = key(collection, id);
    if (overlay.has(k)) return overlay.get(k);
    const record = read(collection, id);
    if (!existed.has(k)) existed.set(k, record !== undefined);
    return record;
  };
  const outcomes: GroupMemberOutcome<T>[] = [];
  const members: CommitWrite[][] = [];
  const last = new Map<string, { write: CommitWrite; member: number }>();
  let serialized = 0;
  for (const fn of fns) {
    if (outcomes.length > 0 && serialized >= budget) break;
    const tx = new TxBuffer(through, limits);
    let result: T;
    try {
      result = fn(tx);
      if (isThenable(result)) throw new TypeError("a transaction function must be synchronous; it returned a promise");
    } catch (error) {
      serialized += tx.serializedLength;
      outcomes.push({ ok: false, error });
      continue;
    }
    serialized += tx.serializedLength;
    const writes = tx.writes();
    if (writes.length === 0) {
      outcomes.push({ ok: true, result, member: undefined });
      continue;
    }
    const member = members.length;
    members.push(writes);
    for (const w of writes) {
      const k = key(w.collection, w.id);
      overlay.set(
        k,
        w.type === "put" ? Object.freeze({ collection: w.collection, id: w.id, revision: w.revision, value: w.value }) : undefined,
      );
      // Deleted and re-put records keep their first-touch place: delete from `last` not needed.
      last.set(k, { write: w, member });
    }
    outcomes.push({ ok: true, result, member });
  }
  const writes: CommitWrite[] = [];
  const lastWriter: number[] = [];
  for (const [k, { write, member }] of last) {
    // A record created inside the group and deleted by a later member nets to nothing on disk;
    // its members' change sets still show both writes.
    if (write.type === "delete" && existed.get(k) !== true) continue;
    writes.push(write);
    lastWriter.push(member);
  }
  return { outcomes, members, writes, lastWriter };
}

/** The group's outcomes once its first sequence is known (member i took `first + i`). */
export function groupOutcomes<T>(run: GroupRun<T>, first: number): GroupOutcome<T>[] {
  return run.outcomes.map((o) =>
    o.ok ? { ok: true, result: o.result, sequence: o.member === undefined ? undefined : first + o.member } : { ok: false, error: o.error },
  );
}
