import { ValidationError, conflict } from "../errors.js";
import type { JsonValue } from "../json/types.js";
import {
  type ValueLimits,
  checkKnownValue,
  checkValue,
  deepFreeze,
  validateCollection,
  validateId,
  validateIndexKey,
  validateIndexName,
} from "../validation.js";
import { type CheckedJson, composedDepth, isOwned, knownChecked, knownDepth, rememberChecked } from "./owned-values.js";
import type { CommitWrite, IndexKeys, PutOptions, RestoreOptions, StoredRecord, TxContext, WriteCondition } from "./types.js";

type Pending = { type: "put"; record: StoredRecord; json: string; index: IndexKeys; base: number } | { type: "delete"; base: number };

/** A write's index keys, copied and validated (names and keys). */
function ownIndex(given: IndexKeys | undefined): IndexKeys {
  const index = { ...(given ?? {}) };
  for (const name of Object.keys(index)) {
    validateIndexName(name);
    validateIndexKey(index[name], `index key of "${name}"`);
  }
  return index;
}

/**
 * The transaction logic shared by every adapter: conditions, revision numbering, read-your-own
 * writes and validation live here once. An adapter supplies `read` (a committed read made while
 * it holds its write lock) and applies `writes()` atomically at commit.
 */
export class TxBuffer implements TxContext {
  private readonly pending = new Map<string, Pending>();
  private readonly order: string[] = [];
  private serialized = 0;

  /**
   * Characters of JSON text this transaction has validated so far, every put counted (a record
   * put ten times counts ten times): the work done under the write lock, which a caller running
   * many operations in one transaction (a domain batch) bounds.
   */
  get serializedLength(): number {
    return this.serialized;
  }

  constructor(
    private readonly read: (collection: string, id: string) => StoredRecord | undefined,
    private readonly limits: ValueLimits,
  ) {}

  private key(collection: string, id: string): string {
    return `${collection}\u0000${id}`;
  }

  /** The current revision inside the transaction (0 when absent). */
  private current(collection: string, id: string): { revision: number; record: StoredRecord | undefined; base: number } {
    const p = this.pending.get(this.key(collection, id));
    if (p !== undefined) {
      if (p.type === "put") return { revision: p.record.revision, record: p.record, base: p.base };
      return { revision: 0, record: undefined, base: p.base };
    }
    const record = this.read(collection, id);
    return { revision: record?.revision ?? 0, record, base: record?.revision ?? 0 };
  }

  get(collection: string, id: string): StoredRecord | undefined {
    validateCollection(collection);
    validateId(id);
    return this.current(collection, id).record;
  }

  put(collection: string, id: string, value: JsonValue, options: PutOptions = {}): number {
    validateCollection(collection);
    validateId(id);
    const index = ownIndex(options.index);
    const checked = this.check(value);
    const json = checked.json;
    this.serialized += json.length;
    const cur = this.current(collection, id);
    checkCondition(collection, id, cur.revision, options);
    // However many times a transaction writes a record, it commits one write of it: the
    // revision grows by exactly 1 from the committed one (a deleted-then-put record continues).
    const revision = cur.base + 1;
    // A known value is deep-frozen already; an owned one is frozen in place; a caller's is copied.
    const frozen = knownDepth(value) !== undefined;
    const kept = frozen ? value : deepFreeze(isOwned(value) ? value : (JSON.parse(json) as JsonValue));
    // Again for a known value too: its text becomes the most recent kept (its next put is likely the
    // history entry at the document's next write), and a depth bound becomes the exact depth.
    rememberChecked(kept, checked);
    const stored: StoredRecord = { collection, id, revision, value: kept };
    this.set(collection, id, { type: "put", record: stored, json, index, base: cur.base });
    return revision;
  }

  /**
   * The value's text and depth, with as little work as what core already knows allows: a value
   * core checked and froze (the previous revision kept in history, a replaced document) is not
   * walked or serialised again, only held to this transaction's limits; one core composed of
   * checked parts is serialised without a walk; anything else is walked and serialised once.
   * A known depth, or a bound, above the limit falls back to the walk, which gives the exact answer.
   */
  private check(value: JsonValue): CheckedJson {
    const limits = this.limits;
    const depth = knownDepth(value);
    if (depth !== undefined && depth <= limits.maxDepth) {
      const known = knownChecked(value)!;
      checkKnownValue(known, limits);
      return known;
    }
    const bound = composedDepth(value);
    if (bound !== undefined && bound <= limits.maxDepth) {
      const json = serializeComposed(value, limits);
      checkKnownValue({ json, depth: bound }, limits);
      return { json, depth: bound };
    }
    return checkValue(value, limits);
  }

  restore(collection: string, id: string, value: JsonValue, revision: number, options: RestoreOptions = {}): number {
    validateCollection(collection);
    validateId(id);
    if (typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 1) {
      throw new ValidationError(`a restored revision must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got ${String(revision)}`, {
        details: { issues: ["revision"], collection, id },
      });
    }
    const index = ownIndex(options.index);
    const checked = checkValue(value, this.limits);
    const json = checked.json;
    this.serialized += json.length;
    const cur = this.current(collection, id);
    // Never backwards: a copy may only bring a record forward, so revisions a reader saw stay true.
    if (cur.revision >= revision) throw conflict(collection, id, cur.revision, `a revision lower than ${revision}`);
    const kept = deepFreeze(JSON.parse(json) as JsonValue);
    rememberChecked(kept, checked);
    const stored: StoredRecord = { collection, id, revision, value: kept };
    // A later put of the record in this transaction continues from the restored revision.
    this.set(collection, id, { type: "put", record: stored, json, index, base: revision - 1 });
    return revision;
  }

  delete(collection: string, id: string, options: WriteCondition = {}): boolean {
    validateCollection(collection);
    validateId(id);
    const cur = this.current(collection, id);
    checkCondition(collection, id, cur.revision, options);
    if (cur.record === undefined) return false;
    this.set(collection, id, { type: "delete", base: cur.base });
    return true;
  }

  private set(collection: string, id: string, p: Pending): void {
    const k = this.key(collection, id);
    if (!this.pending.has(k)) this.order.push(k);
    this.pending.set(k, p);
  }

  /** The net writes, in first-touch order. A put then delete of a record new to this transaction nets to nothing. */
  writes(): CommitWrite[] {
    const out: CommitWrite[] = [];
    for (const k of this.order) {
      const p = this.pending.get(k)!;
      const sep = k.indexOf("\u0000");
      const collection = k.slice(0, sep);
      const id = k.slice(sep + 1);
      if (p.type === "put") {
        out.push({ type: "put", collection, id, value: p.record.value, json: p.json, index: p.index, revision: p.record.revision });
      } else if (p.base > 0) {
        out.push({ type: "delete", collection, id, revision: p.base });
      }
    }
    return out;
  }
}

/**
 * A composed value's text. Its parts each fit the limit, so it is at most a few times over it;
 * V8's "Invalid string length" past ~512 MiB still becomes the typed error.
 */
function serializeComposed(value: JsonValue, limits: ValueLimits): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ValidationError(`value is over the limit of ${limits.maxBytes} bytes`, {
        details: { issues: [`size > ${limits.maxBytes} bytes`], maxBytes: limits.maxBytes },
      });
    }
    throw err;
  }
}

/** Throws ConflictError (with the current revision, 0 = absent) when a write condition fails. */
export function checkCondition(collection: string, id: string, current: number, options: WriteCondition | undefined): void {
  if (options === undefined) return;
  if (options.ifAbsent === true && current !== 0) throw conflict(collection, id, current, "absent");
  if (options.ifRevision !== undefined && options.ifRevision !== current) {
    throw conflict(collection, id, current, options.ifRevision === 0 ? "absent" : `revision ${options.ifRevision}`);
  }
}

/** Runs a transaction function against a committed-read function; returns its result and net writes. */
export function runTransaction<T>(
  fn: (tx: TxContext) => T,
  read: (collection: string, id: string) => StoredRecord | undefined,
  limits: ValueLimits,
): { result: T; writes: CommitWrite[] } {
  const tx = new TxBuffer(read, limits);
  const result = fn(tx);
  if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
    throw new TypeError("a transaction function must be synchronous; it returned a promise");
  }
  return { result, writes: tx.writes() };
}
