import { InvalidQueryError, NotFoundError, ValidationError, isStatehouseError } from "../errors.js";
import { knownDepth, markComposed, markOwned } from "../spi/owned-values.js";
import { checkCondition } from "../spi/tx-buffer.js";
import { deleteAt, getAt, incrementAt, mergePatch } from "../json/index.js";
import { setByTokens } from "../json/edit.js";
import { parsePointer } from "../json/pointer.js";
import { applyPatchWithin } from "../json/json-patch.js";
import { PatchBudget } from "../json/patch-budget.js";
import type { JsonValue } from "../json/types.js";
import { jsonDiff } from "../json/diff.js";
import type { JsonPatchOperation } from "../json/json-patch.js";
import { type QueryNode, compileQuery } from "../query/index.js";
import type { TxContext } from "../spi/types.js";
import { COLLECTION } from "./collections.js";
import { ownCondition } from "./condition.js";
import {
  HISTORY,
  HISTORY_META,
  type HistoryEntry,
  type HistoryOptions,
  MAX_HISTORY_LIMIT,
  type ReadOptions,
  checkRevision,
  deleteHistory,
  historyBase,
  historyEntryId,
  readMeta,
  recordHistory,
  serializedSoFar,
} from "./history.js";
import { type DomainContext, type Plan, type Written, own, ownFrozen } from "./context.js";
import type { StateDocumentApi } from "./store-api.js";
import type { Condition, WriteResult } from "./types.js";

/** Options of `StateDocument.update`. */
export interface UpdateOptions {
  /** Attempts before the last conflict is thrown. Default 20. */
  maxAttempts?: number;
  /** Write only while this lease token is current (see `Condition.ifLease`); checked at each attempt. */
  ifLease?: { readonly name: string; readonly token: number };
}

export interface DocumentSnapshot {
  /** undefined when the document does not exist. */
  readonly value: JsonValue | undefined;
  /** 0 when the document does not exist. */
  readonly revision: number;
}

type Mutation = (current: JsonValue | undefined) => JsonValue;

// Query answers per document value: values handed out by adapters are frozen and shared while the
// document is unchanged, so the value object itself is the cache key and a new revision (a new
// object) can never hit a stale answer.
const answers = new WeakMap<object, Map<string, readonly QueryNode[]>>();
/** The JSON Patch work budget of each transaction, shared by the patches of a batch. */
const patchBudgets = new WeakMap<TxContext, PatchBudget>();

/**
 * Marks a document that `set`, `delete` or `increment` made from the stored one (`previous`) for
 * the transaction buffer: only fresh objects along a pointer and a checked value are new in it, so
 * it is serialised without a walk (see `markComposed`). Its depth is at most the previous one's or
 * `reach` (the pointer's length plus the inserted value's depth). A previous value whose depth core
 * does not know (read from disk by an adapter) leaves the document to the full check.
 */
function composed(next: JsonValue, previous: JsonValue | undefined, reach: number): JsonValue {
  const before = previous === undefined ? 1 : knownDepth(previous);
  return before === undefined ? next : markComposed(next, Math.max(before, reach));
}

/**
 * A named JSON state document (`global` by default, or a session's own). Every write is atomic
 * and revisioned; reads of an unchanged document reuse the parsed value and compiled queries.
 */
export class StateDocument implements StateDocumentApi {
  constructor(
    private readonly ctx: DomainContext,
    readonly collection: string,
    readonly name: string,
  ) {}

  /**
   * The whole document and its revision; with `revision`, that revision's value: the current one or
   * one still kept in history (E_NOT_FOUND, naming what is kept, for any other).
   */
  async read(options: ReadOptions = {}): Promise<DocumentSnapshot> {
    const wanted = options.revision === undefined ? undefined : checkRevision(options.revision);
    return this.ctx.read(wanted === undefined ? "state.read" : "state.history", async () => {
      const r = await this.ctx.adapter.get(this.collection, this.name);
      if (wanted === undefined || r?.revision === wanted) return { value: r?.value, revision: r?.revision ?? 0 };
      return { value: await this.kept(wanted, r?.revision ?? 0), revision: wanted };
    });
  }

  /**
   * The document's revisions, newest first: the current one, then the earlier ones history keeps
   * (`StoreOptions.historyLimit`). Revision, commit time and size; with `values`, each value too.
   * Empty when the document does not exist.
   */
  async history(options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw new ValidationError(`limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}, got ${String(limit)}`, {
        details: { issues: ["limit"] },
      });
    }
    const before = options.before === undefined ? Number.MAX_SAFE_INTEGER : checkRevision(options.before, "before");
    const withValues = options.values === true;
    return this.ctx.read("state.history", async () => {
      const base = historyBase(this.collection, this.name);
      let meta = readMeta(await this.ctx.adapter.get(HISTORY_META, base));
      if (meta !== undefined && (meta.collection !== this.collection || meta.document !== this.name)) meta = undefined;
      let listed: HistoryEntry[];
      if (meta === undefined) {
        // Written while history was off (or before it existed): the current revision alone.
        const r = await this.ctx.adapter.get(this.collection, this.name);
        listed = r === undefined ? [] : [{ revision: r.revision, at: null, size: JSON.stringify(r.value).length }];
      } else {
        listed = [{ revision: meta.revision, at: meta.at, size: meta.size }, ...meta.entries];
      }
      const page = listed.filter((e) => e.revision < before).slice(0, limit);
      if (!withValues) return page;
      const out: HistoryEntry[] = [];
      for (const e of page) {
        try {
          out.push({ ...e, value: (await this.read({ revision: e.revision })).value! });
        } catch (err) {
          // Trimmed by a write since the listing: the page ends where history now ends.
          if (isStatehouseError(err, "E_NOT_FOUND")) break;
          throw err;
        }
      }
      return out;
    });
  }

  /**
   * An RFC 6902 JSON Patch from revision `from` to revision `to` (each the current one or one kept
   * in history): applied to `from`'s value it gives `to`'s. Changed arrays are replaced whole.
   */
  async diff(from: number, to: number): Promise<JsonPatchOperation[]> {
    checkRevision(from, "from");
    checkRevision(to, "to");
    const a = await this.read({ revision: from });
    const b = await this.read({ revision: to });
    return jsonDiff(a.value!, b.value!);
  }

  /** An earlier revision's value from history, or E_NOT_FOUND saying what is kept. */
  private async kept(revision: number, current: number): Promise<JsonValue> {
    const where = `state document "${this.name}"${this.collection === COLLECTION.sessionState ? " (of its session)" : ""}`;
    if (current === 0) {
      throw new NotFoundError(`${where} does not exist, so it has no revision ${revision}`, {
        details: { document: this.name, revision, currentRevision: 0 },
      });
    }
    if (revision > current) {
      throw new NotFoundError(`${where} has no revision ${revision} yet: its current revision is ${current}`, {
        details: { document: this.name, revision, currentRevision: current },
      });
    }
    const base = historyBase(this.collection, this.name);
    const r = await this.ctx.adapter.get(HISTORY, historyEntryId(base, revision));
    if (r !== undefined) return r.value;
    const meta = readMeta(await this.ctx.adapter.get(HISTORY_META, base));
    const oldest = meta?.entries.at(-1)?.revision ?? current;
    throw new NotFoundError(
      `revision ${revision} of ${where} is no longer kept: history keeps revisions ${oldest} to ${current} ` +
        `(the last ${this.ctx.historyLimit} before the current one; see historyLimit)`,
      { details: { document: this.name, revision, currentRevision: current, oldestKept: oldest } },
    );
  }

  async revision(): Promise<number> {
    return (await this.read()).revision;
  }

  /**
   * Reads by query: none → the whole document; `$…` → the JSONPath's values (an array);
   * `/…` or `""` → the JSON Pointer's value (undefined when absent).
   */
  async get(query?: string): Promise<JsonValue | undefined> {
    if (query === undefined) return (await this.read()).value;
    if (query.startsWith("$")) return (await this.query(query)).map((n) => n.value);
    if (query === "" || query.startsWith("/")) return this.at(query);
    throw new InvalidQueryError(
      `a query is a JSONPath starting with "$" or a JSON Pointer starting with "/", got ${JSON.stringify(query)}`,
      {
        details: { query },
      },
    );
  }

  /** RFC 9535 JSONPath: the matching nodes, each with its normalized path and JSON Pointer. */
  async query(expression: string): Promise<readonly QueryNode[]> {
    const compiled = compileQuery(expression);
    return this.ctx.read("state.query", async () => {
      const r = await this.ctx.adapter.get(this.collection, this.name);
      if (r === undefined) return [];
      const value = r.value;
      if (typeof value !== "object" || value === null) return compiled.run(value);
      let perDoc = answers.get(value);
      const hit = perDoc?.get(expression);
      if (hit !== undefined) return hit;
      const nodes = Object.freeze(compiled.run(value));
      if (perDoc === undefined) {
        perDoc = new Map();
        answers.set(value, perDoc);
      }
      if (perDoc.size >= 64) perDoc.delete(perDoc.keys().next().value!);
      perDoc.set(expression, nodes);
      return nodes;
    });
  }

  /** RFC 6901 JSON Pointer read; undefined when nothing is there. */
  async at(pointer: string): Promise<JsonValue | undefined> {
    return this.ctx.read("state.query", async () => {
      const r = await this.ctx.adapter.get(this.collection, this.name);
      return r === undefined ? undefined : getAt(r.value, pointer);
    });
  }

  /** Replaces the whole document. */
  replace(value: JsonValue, condition?: Condition): Promise<WriteResult> {
    condition = ownCondition(condition);
    const v = ownFrozen(value, this.ctx.limits);
    return this.write("state.replace", () => v, condition, [v]);
  }

  /** Sets the value at a pointer, creating missing intermediate objects. */
  set(pointer: string, value: JsonValue, condition?: Condition): Promise<WriteResult> {
    condition = ownCondition(condition);
    return this.ctx.runWrite("state.set", this.planSet(pointer, value, condition), condition, this.request(pointer, value));
  }

  /** Deletes the value at a pointer; E_NOT_FOUND if nothing is there. */
  delete(pointer: string, condition?: Condition): Promise<WriteResult> {
    condition = ownCondition(condition);
    return this.ctx.runWrite("state.delete", this.planDelete(pointer, condition), condition, this.request(pointer));
  }

  /** RFC 7396 JSON Merge Patch. */
  merge(patch: JsonValue, condition?: Condition): Promise<WriteResult> {
    condition = ownCondition(condition);
    return this.ctx.runWrite("state.merge", this.planMerge(patch, condition), condition, this.request(patch));
  }

  /** RFC 6902 JSON Patch, all operations or none. */
  patch(operations: JsonValue, condition?: Condition): Promise<WriteResult> {
    condition = ownCondition(condition);
    return this.ctx.runWrite("state.patch", this.planPatch(operations, condition), condition, this.request(operations));
  }

  /** Atomic increment; a missing value counts as 0. Resolves to the new value. */
  increment(pointer: string, by = 1, condition?: Condition): Promise<WriteResult & { value: number }> {
    condition = ownCondition(condition);
    return this.ctx.runWrite("state.increment", this.planIncrement(pointer, by, condition), condition, this.request(pointer, by));
  }

  /** Deletes the whole document; resolves false if it did not exist. */
  remove(condition?: Condition): Promise<boolean> {
    condition = ownCondition(condition);
    return this.ctx.run("state.remove", this.planRemove(condition), condition, this.request());
  }

  /**
   * Read, compute, write if unchanged; on a conflict re-read and call `fn` again. `fn` may be
   * async and runs outside any lock, so it may be called more than once.
   */
  async update(fn: (current: JsonValue | undefined) => JsonValue | Promise<JsonValue>, options: UpdateOptions = {}): Promise<WriteResult> {
    const maxAttempts = options.maxAttempts ?? 20;
    // Copied now: the attempts run after awaits, and must use the fence the caller passed.
    const ifLease = ownCondition({ ...(options.ifLease !== undefined && { ifLease: options.ifLease }) })?.ifLease;
    for (let attempt = 1; ; attempt++) {
      const { value, revision } = await this.read();
      // The function gets a mutable copy of its own; what it returns is checked and frozen once.
      const next = ownFrozen(await fn(value === undefined ? undefined : own(value, this.ctx.limits)), this.ctx.limits);
      try {
        return await this.write("state.update", () => next, { ifRevision: revision, ...(ifLease !== undefined && { ifLease }) });
      } catch (err) {
        // A lease that moved on will not come back: only a revision conflict is worth another attempt.
        if (!isStatehouseError(err, "E_CONFLICT") || err.details.lease !== undefined || attempt >= maxAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
      }
    }
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planSet(pointer: string, value: JsonValue, condition?: Condition): Plan<Written> {
    condition = ownCondition(condition);
    const v = ownFrozen(value, this.ctx.limits);
    const inserted = knownDepth(v) ?? 0;
    return this.plan((doc) => {
      const tokens = parsePointer(pointer);
      // setByTokens, not setAt: `v` was checked by ownFrozen, and setAt would walk it once more.
      return composed(setByTokens(doc ?? {}, tokens, pointer, v, "set"), doc, tokens.length + inserted);
    }, condition);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planDelete(pointer: string, condition?: Condition): Plan<Written> {
    condition = ownCondition(condition);
    return this.plan((doc) => {
      if (doc === undefined) throw new NotFoundError(`state document "${this.name}" does not exist`, { details: { document: this.name } });
      return composed(deleteAt(doc, pointer), doc, 0);
    }, condition);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planMerge(patch: JsonValue, condition?: Condition): Plan<Written> {
    condition = ownCondition(condition);
    const p = own(patch, this.ctx.limits);
    return this.plan((doc) => mergePatch(doc ?? {}, p), condition);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planPatch(operations: JsonValue, condition?: Condition): Plan<Written> {
    condition = ownCondition(condition);
    if (!Array.isArray(operations)) {
      throw new ValidationError("a JSON Patch is an array of operations", { details: { issues: ["not an array"] } });
    }
    const ops = own(operations, this.ctx.limits);
    return (tx, now) => {
      // One budget per transaction: the patches of a batch share it (see applyPatchWithin).
      let budget = patchBudgets.get(tx);
      if (budget === undefined) {
        budget = new PatchBudget({ maxBytes: this.ctx.limits.maxBytes });
        patchBudgets.set(tx, budget);
      }
      const spend = budget;
      return this.plan((doc) => applyPatchWithin(doc ?? {}, ops, spend), condition)(tx, now);
    };
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planIncrement(pointer: string, by: number, condition?: Condition): Plan<Written<WriteResult & { value: number }>> {
    condition = ownCondition(condition);
    if (typeof by !== "number" || !Number.isFinite(by)) {
      throw new ValidationError(`increment must be a finite number, got ${String(by)}`, { details: { issues: ["increment not finite"] } });
    }
    return (tx, now) => {
      let result = 0;
      const write = this.plan((doc) => {
        const r = incrementAt(doc ?? {}, pointer, by);
        result = r.value;
        return composed(r.document, doc, parsePointer(pointer).length);
      }, condition)(tx, now);
      return { ...write, value: result };
    };
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planReplace(value: JsonValue, condition?: Condition): Plan<Written> {
    condition = ownCondition(condition);
    const v = ownFrozen(value, this.ctx.limits);
    return this.plan(() => v, condition);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planRemove(condition?: Condition): Plan<boolean> {
    condition = ownCondition(condition);
    return (tx) => {
      const existed = tx.delete(this.collection, this.name, condition ?? {});
      // A document created again starts at revision 1: its old history must not pass for the new one's.
      deleteHistory(tx, this.collection, this.name);
      return existed;
    };
  }

  private write(kind: string, mutate: Mutation, condition?: Condition, args: unknown[] = []): Promise<WriteResult> {
    return this.ctx.runWrite(kind, this.plan(mutate, condition), condition, this.request(...args));
  }

  /** What a write asked for, as an idempotency key's fingerprint compares it: the document and the arguments. */
  private request(...args: unknown[]): unknown[] {
    return [this.collection, this.name, ...args];
  }

  private plan(mutate: Mutation, condition?: Condition): Plan<Written> {
    return (tx: TxContext, now: string) => {
      // A session's document lives only with its session (else doctor finds an orphan it cannot place).
      if (this.collection === COLLECTION.sessionState && tx.get(COLLECTION.sessions, this.name) === undefined) {
        throw new NotFoundError(`session "${this.name}" does not exist, so its state document cannot be written`, {
          details: { session: this.name },
        });
      }
      const current = tx.get(this.collection, this.name);
      checkCondition(this.collection, this.name, current?.revision ?? 0, condition);
      // Built from the stored (frozen) document and inputs that own() already copied: no other references.
      const next = markOwned(mutate(current?.value));
      // Every document write passes here (each method and each batch operation): history is kept here once.
      const before = serializedSoFar(tx);
      const revision = tx.put(this.collection, this.name, next);
      const after = serializedSoFar(tx);
      const size = before === undefined || after === undefined ? JSON.stringify(next).length : after - before;
      const limit = this.ctx.historyLimit;
      recordHistory(tx, { collection: this.collection, name: this.name, previous: current, revision, size, at: now, limit });
      return { revision };
    };
  }
}
