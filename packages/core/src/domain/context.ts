import type { JsonValue } from "../json/types.js";
import type { StorageAdapter, TxContext } from "../spi/types.js";
import { type ValueLimits, validateValue } from "../validation.js";
import type { Metrics } from "./metrics.js";

/** A write planned against a transaction: runs synchronously inside `transact`, in one op or in a batch. */
export type Plan<T> = (tx: TxContext, now: string) => T;

/** What every domain module shares: the adapter, the limits, the metrics, and the way to run plans. */
export interface DomainContext {
  readonly adapter: StorageAdapter;
  readonly limits: ValueLimits;
  readonly metrics: Metrics;
  run<T>(kind: string, plan: Plan<T>): Promise<T>;
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
  return JSON.parse(validateValue(value, limits)) as T;
}
