import type { JsonValue } from "../json/types.js";
import { NotFoundError } from "../errors.js";
import type { StorageAdapter, StoredRecord, TxContext } from "../spi/types.js";
import { type CheckedJson, knownChecked, knownDepth, rememberChecked } from "../spi/owned-values.js";
import { type ValueLimits, checkKnownValue, checkValue, deepFreeze, validateId, validateValue } from "../validation.js";
import type { Metrics } from "./metrics.js";
import type { WriteResult } from "./types.js";

/** A write planned against a transaction: runs synchronously inside `transact`, in one op or in a batch. */
export type Plan<T> = (tx: TxContext, now: string) => T;

/** The conditions `DomainContext.run` applies around a plan. */
export interface RunCondition {
  readonly ifLease?: { readonly name: string; readonly token: number };
  readonly idempotencyKey?: string;
}

/** What a write's plan knows inside its transaction: the new revision. The sequence number is known only after commit. */
export type Written<T extends WriteResult = WriteResult> = Omit<T, "sequence">;

/** What every domain module shares: the adapter, the limits, the metrics, and the way to run plans. */
export interface DomainContext {
  readonly adapter: StorageAdapter;
  readonly limits: ValueLimits;
  readonly metrics: Metrics;
  /** Earlier revisions each state document keeps in history (`StoreOptions.historyLimit`); 0: none. */
  readonly historyLimit: number;
  /**
   * Runs a plan in one transaction; a `condition` with `ifLease` is checked in that same
   * transaction, and one with `idempotencyKey` makes the write idempotent. `request` is what the
   * caller asked for (the operation's arguments): the fingerprint a reused key is compared by.
   */
  run<T>(kind: string, plan: Plan<T>, condition?: RunCondition, request?: unknown): Promise<T>;
  /** Like `run`, for a write's plan: its result gets the change sequence number the transaction took. */
  runWrite<T extends WriteResult>(kind: string, plan: Plan<Written<T>>, condition?: RunCondition, request?: unknown): Promise<T>;
  /** Like `run`, also giving the change sequence number the transaction took. */
  runWithSequence<T>(kind: string, plan: Plan<T>): Promise<{ result: T; sequence: number | undefined }>;
  /** Runs a read, timing it under `kind`. */
  read<T>(kind: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * Makes a caller's value independent of the caller (so later mutation by them cannot reach the
 * store). Validates first: a hostile value (a cycle, depth 5,000) must meet a typed error, not
 * the RangeError that serialising it would throw.
 */
export function own<T extends JsonValue>(value: T, limits: ValueLimits): T {
  if (value === null || typeof value !== "object") {
    validateValue(value, limits);
    return value;
  }
  // A stored value (frozen, its text known): copied from its text without another walk.
  return JSON.parse(checkOwnable(value, limits).json) as T;
}

/**
 * `own` for a value that stays inside core until it is stored (a whole document given to
 * `replace`, the result of an `update` function, a `set` value): the copy is deep-frozen at once and
 * its text and depth are remembered, so that the transaction that stores it neither walks nor
 * serialises it again: one walk and one serialisation per write.
 * Never for a copy handed back to a caller, who may mutate it (that is what `own` is for).
 */
export function ownFrozen<T extends JsonValue>(value: T, limits: ValueLimits): T {
  if (value === null || typeof value !== "object") {
    validateValue(value, limits);
    return value;
  }
  // A value core froze already (one read from the store) is copied too, from its text without a
  // walk: inserted as it is, it could share subtrees with the document it goes into, which the
  // store refuses (`doc.set("/a", await doc.get())`).
  const checked = checkOwnable(value, limits);
  const copy = deepFreeze(JSON.parse(checked.json) as T);
  rememberChecked(copy, checked);
  return copy;
}

/**
 * The text and depth of a value about to be copied: known for a value core froze (only the limits
 * are checked; a known depth may be an upper bound, so one above the limit is walked again for the
 * exact answer), else from one walk.
 */
function checkOwnable(value: JsonValue, limits: ValueLimits): CheckedJson {
  const depth = knownDepth(value);
  if (depth === undefined || depth > limits.maxDepth) return checkValue(value, limits);
  const known = knownChecked(value)!;
  checkKnownValue(known, limits);
  return known;
}

/**
 * A snapshot of a caller's options object, taken before it is validated: a plan runs at commit,
 * later (for the file adapter a turn of the event loop later), and must use the values that
 * passed validation, not whatever the caller's object (or its getters) holds by then.
 */
export function snapshot<T extends object>(options: T): T {
  return { ...options };
}

/** Reads one record by id (validated as `what`) and maps it, timed under `kind`; undefined when absent. */
export function findRecord<T>(
  ctx: DomainContext,
  kind: string,
  collection: string,
  id: string,
  what: string,
  map: (r: StoredRecord) => T,
): Promise<T | undefined> {
  validateId(id, what);
  return ctx.read(kind, async () => {
    const r = await ctx.adapter.get(collection, id);
    return r === undefined ? undefined : map(r);
  });
}

/** The value, or E_NOT_FOUND with this message and details. */
export function found<T>(value: T | undefined, message: string, details: Record<string, unknown>): T {
  if (value === undefined) throw new NotFoundError(message, { details });
  return value;
}
