import { ValidationError, isStatehouseError } from "../errors.js";
import { BATCH_OPERATIONS, type BatchOperation, type Target } from "./batch-operation.js";
import type { Plan, Written } from "./context.js";
import type { TxBuffer } from "../spi/tx-buffer.js";
import { historySerialized } from "./history.js";
import { checkFence, fenced } from "./leases.js";
import type { Agents } from "./agents.js";
import type { ProjectConfigs } from "./config.js";
import type { Sessions } from "./sessions.js";
import type { StateDocument } from "./state-document.js";
import type { Tools } from "./tools.js";
import type { Condition } from "./types.js";
import type { ValueLimits } from "../validation.js";

export { BATCH_OPERATIONS, type BatchOperation, type BatchOptions } from "./batch-operation.js";

/**
 * What batch planning needs of a store: the documents and collections whose planners it calls, and
 * the value limits. The Store satisfies it; batch.ts depends on this shape, not on the Store (which
 * runs batches), so the two do not import each other.
 */
export interface BatchPlanners {
  state(name: string): StateDocument;
  sessionState(sessionId: string): StateDocument;
  readonly sessions: Sessions;
  readonly agents: Agents;
  readonly config: ProjectConfigs;
  readonly tools: Tools;
  readonly limits: ValueLimits;
}

function cond(o: Condition): Condition | undefined {
  if (o.ifRevision === undefined && o.ifAbsent === undefined) return undefined;
  return { ...(o.ifRevision !== undefined && { ifRevision: o.ifRevision }), ...(o.ifAbsent !== undefined && { ifAbsent: o.ifAbsent }) };
}

function need(o: Record<string, unknown>, i: number, ...fields: string[]): void {
  for (const f of fields) {
    if (o[f] === undefined)
      throw new ValidationError(`batch operation ${i} (${String(o.op)}) needs "${f}"`, {
        details: { issues: [`operation ${i}: missing ${f}`], operation: i },
      });
  }
}

/** Turns one batch operation into a plan; async only because some need a read first (agents of a deleted session, the config validator). */
async function planOf(store: BatchPlanners, o: BatchOperation, i: number): Promise<Plan<unknown>> {
  const raw = o as unknown as Record<string, unknown>;
  if (raw.idempotencyKey !== undefined) {
    throw new ValidationError(`batch operation ${i}: an idempotency key is given for the whole batch (its options), not per operation`, {
      details: { issues: [`operation ${i}: idempotencyKey`], operation: i },
    });
  }
  const c = cond(o);
  const doc = () => {
    const t = o as Target;
    if (t.doc !== undefined && t.session !== undefined) {
      throw new ValidationError(`batch operation ${i} names both "doc" and "session"`, {
        details: { issues: [`operation ${i}: doc and session`], operation: i },
      });
    }
    return t.session !== undefined ? store.sessionState(t.session) : store.state(t.doc ?? "global");
  };
  switch (o.op) {
    case "state.set":
      need(raw, i, "pointer", "value");
      return doc().planSet(o.pointer, o.value, c);
    case "state.delete":
      need(raw, i, "pointer");
      return doc().planDelete(o.pointer, c);
    case "state.merge":
      need(raw, i, "patch");
      return doc().planMerge(o.patch, c);
    case "state.patch":
      need(raw, i, "operations");
      return doc().planPatch(o.operations, c);
    case "state.increment":
      need(raw, i, "pointer");
      return doc().planIncrement(o.pointer, o.by ?? 1, c);
    case "state.replace":
      need(raw, i, "value");
      return doc().planReplace(o.value, c);
    case "state.remove":
      return doc().planRemove(c);
    case "session.create": {
      const { op: _op, ifRevision: _r, ifAbsent: _a, ...rest } = o;
      return store.sessions.planCreate(rest, c);
    }
    case "session.update": {
      need(raw, i, "id");
      const { op: _op, id, ifRevision: _r, ifAbsent: _a, ...changes } = o;
      const ending = changes.status !== undefined && changes.status !== "active";
      return store.sessions.planUpdate(id, changes, c, ending ? await store.sessions.agentsSnapshot(id) : undefined);
    }
    case "session.end":
      need(raw, i, "id");
      return store.sessions.planEnd(o.id, o.status ?? "completed", c, await store.sessions.agentsSnapshot(o.id));
    case "session.delete":
      need(raw, i, "id");
      return store.sessions.planDelete(o.id, await store.sessions.listAgents(o.id), c);
    case "agent.spawn": {
      need(raw, i, "sessionId", "role");
      const { op: _op, sessionId, ifRevision: _r, ifAbsent: _a, ...rest } = o;
      return store.agents.planSpawn(sessionId, rest);
    }
    case "agent.update": {
      need(raw, i, "id");
      const { op: _op, id, ifRevision: _r, ifAbsent: _a, ...changes } = o;
      return store.agents.planUpdate(id, changes, c);
    }
    case "agent.heartbeat":
      need(raw, i, "id");
      return store.agents.planHeartbeat(o.id, c);
    case "config.set":
      need(raw, i, "project", "config");
      return store.config.planSet(o.project, o.config, c);
    case "config.delete":
      need(raw, i, "project");
      return store.config.planDelete(o.project, c);
    case "tools.register":
      need(raw, i, "tool");
      return store.tools.planRegister(o.tool as never, c);
    case "tools.unregister":
      need(raw, i, "name");
      return store.tools.planUnregister(o.name, c);
    default:
      throw new ValidationError(`batch operation ${i} has an unknown op ${JSON.stringify(raw.op)}; known: ${BATCH_OPERATIONS.join(", ")}`, {
        details: { issues: [`operation ${i}: unknown op`], operation: i },
      });
  }
}

/** The operations whose result is a WriteResult: their plans give the revision, the batch adds the sequence. */
const WRITE_RESULT_OPS: ReadonlySet<string> = new Set([
  "state.set",
  "state.delete",
  "state.merge",
  "state.patch",
  "state.increment",
  "state.replace",
  "session.delete",
] satisfies BatchOperation["op"][]);

/** The batch's results, the write results among them given the sequence number the batch's transaction took. */
export function withBatchSequence(
  operations: readonly BatchOperation[],
  results: readonly unknown[],
  sequence: number | undefined,
): unknown[] {
  return results.map((result, i) => (WRITE_RESULT_OPS.has(operations[i]!.op) ? { ...(result as Written), sequence } : result));
}

/** Names the failing operation in an error raised inside a batch, keeping its class and code. */
function annotate(err: unknown, i: number, op: string): unknown {
  if (isStatehouseError(err) && err.details.operation === undefined) {
    (err.details as Record<string, unknown>).operation = i;
    err.message = `batch operation ${i} (${op}): ${err.message}`;
  }
  return err;
}

/** Plans every operation, then runs them all in one transaction: all commit, or none. */
export async function planBatch(store: BatchPlanners, operations: readonly BatchOperation[]): Promise<Plan<unknown[]>> {
  if (!Array.isArray(operations)) throw new ValidationError("a batch is an array of operations", { details: { issues: ["not an array"] } });
  // Every operation's own fields (its op, ids, pointer, conditions, fence) are copied now, before
  // the first await: later operations are planned after earlier ones' reads, and must be planned
  // from what the caller passed, not from what its objects hold by then.
  const ops: BatchOperation[] = [];
  for (let i = 0; i < operations.length; i++) {
    const o = operations[i];
    if (typeof o !== "object" || o === null || typeof (o as { op?: unknown }).op !== "string") {
      throw new ValidationError(`batch operation ${i} is not an object with an "op"`, {
        details: { issues: [`operation ${i}: no op`], operation: i },
      });
    }
    const copy = { ...o } as BatchOperation & Condition;
    if (typeof copy.ifLease === "object" && copy.ifLease !== null) copy.ifLease = { ...copy.ifLease };
    ops.push(copy);
  }
  const plans: Plan<unknown>[] = [];
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    try {
      const plan = await planOf(store, o, i);
      const fence = (o as Condition).ifLease;
      plans.push(fence === undefined ? plan : fenced(plan, checkFence(fence)));
    } catch (err) {
      throw annotate(err, i, o.op);
    }
  }
  const maxSerialized = BATCH_SERIALIZED_RECORDS * store.limits.maxBytes;
  return (tx, now) =>
    plans.map((plan, i) => {
      let result: unknown;
      try {
        result = plan(tx, now);
      } catch (err) {
        throw annotate(err, i, ops[i]!.op);
      }
      // Each operation rewrites (and re-serialises) a whole record: a short batch of increments
      // on one large document would hold the lock for as many serialisations as it has
      // operations. Checked after each operation, so at most one record's worth runs over.
      // History's copies of previous values are the store's own work, bounded by the writes that made them.
      const serialized = ((tx as Partial<Pick<TxBuffer, "serializedLength">>).serializedLength ?? 0) - historySerialized(tx);
      if (serialized > maxSerialized) {
        throw new ValidationError(
          `batch operation ${i} (${ops[i]!.op}): the batch writes more than ${maxSerialized} characters of JSON in one ` +
            "transaction (each operation rewrites its whole record); split it into smaller batches",
          { details: { operation: i, reason: "limit", limit: "batchBytes", max: maxSerialized, issues: ["batch too large"] } },
        );
      }
      return result;
    });
}

/**
 * How many records' worth of JSON (at the store's record limit) one batch may write: bounded so
 * that no batch of bounded size holds the write lock for an unbounded number of serialisations.
 */
export const BATCH_SERIALIZED_RECORDS = 1;
