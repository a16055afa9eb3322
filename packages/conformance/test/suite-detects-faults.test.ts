import {
  type AdapterOptions,
  type ChangeSet,
  ConflictError,
  type ListOptions,
  type ListPage,
  type StoredRecord,
  type TransactResult,
  type TxContext,
  isStatehouseError,
} from "@statehouse/core";
import { MemoryAdapter, registerAdapter } from "@statehouse/core/spi";
import { describe, expect, it } from "vitest";
import { runSuite } from "./helpers/run-suite.js";

// The suite proves adapters wrong, so it must be able to: each adapter below breaks one rule,
// and the suite, run through a small recording framework, must fail the clauses of that rule
// while the untouched reference passes them.

/** Ignores `reverse`. */
class NoReverse extends MemoryAdapter {
  override list(collection: string, options: ListOptions = {}): Promise<ListPage> {
    return super.list(collection, { ...options, reverse: false });
  }
}

/** Commits the writes made before a transaction function threw. */
class LeakyAbort extends MemoryAdapter {
  override transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    return super.transact((tx) => {
      try {
        return fn(tx);
      } catch (err) {
        if (isStatehouseError(err)) throw err;
        return undefined as T;
      }
    });
  }
}

/** Keeps working after close(). */
class NeverCloses extends MemoryAdapter {
  override async close(): Promise<void> {}
}

/** Loses the second change set from the log. */
class SequenceGap extends MemoryAdapter {
  override async changes(since: number, limit?: number): Promise<ChangeSet[]> {
    return (await super.changes(since, limit)).filter((c) => c.sequence !== 2);
  }
}

/** Conflict errors without the current revision. */
class BareConflicts extends MemoryAdapter {
  override async transact<T>(fn: (tx: TxContext) => T): Promise<TransactResult<T>> {
    try {
      return await super.transact(fn);
    } catch (err) {
      if (isStatehouseError(err, "E_CONFLICT")) throw new ConflictError("conflict");
      throw err;
    }
  }
}

/** Serves the first value it read of a record forever (a stale cache). */
class StaleCache extends MemoryAdapter {
  private readonly cache = new Map<string, StoredRecord | undefined>();
  override async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    const k = `${collection}/${id}`;
    if (!this.cache.has(k)) this.cache.set(k, await super.get(collection, id));
    return this.cache.get(k);
  }
}

const BROKEN: Record<string, new (options?: AdapterOptions) => MemoryAdapter> = {
  "broken-no-reverse": NoReverse,
  "broken-leaky-abort": LeakyAbort,
  "broken-never-closes": NeverCloses,
  "broken-sequence-gap": SequenceGap,
  "broken-bare-conflicts": BareConflicts,
  "broken-stale-cache": StaleCache,
};
for (const [scheme, Cls] of Object.entries(BROKEN)) {
  registerAdapter(scheme, { openAdapter: async (_location, options) => new Cls(options) });
}

/** [adapter, the group it must fail, a group it must still pass (so the failure is not an open() failure)] */
const CASES: Array<[string, string, string]> = [
  ["broken-no-reverse", "listing", "values"],
  ["broken-leaky-abort", "atomicity", "listing"],
  ["broken-never-closes", "closed", "atomicity"],
  ["broken-sequence-gap", "changes", "listing"],
  ["broken-bare-conflicts", "revisions", "listing"],
  ["broken-stale-cache", "model-based", "changes"],
];

describe("the conformance suite detects broken adapters", () => {
  for (const [scheme, group, control] of CASES) {
    it(`${scheme} fails the "${group}" group and passes "${control}"`, async () => {
      const outcomes = await runSuite(scheme, [group]);
      expect(outcomes.length, "clauses run").toBeGreaterThan(0);
      const failed = outcomes.filter((o) => o.status === "failed");
      expect(failed.length, `failed clauses of ${group}: ${JSON.stringify(outcomes, null, 1)}`).toBeGreaterThan(0);
      const controls = await runSuite(scheme, [control]);
      expect(controls.length).toBeGreaterThan(0);
      expect(
        controls.filter((o) => o.status !== "passed"),
        `the ${control} group`,
      ).toEqual([]);
    });
  }

  it("the reference memory adapter passes those same groups", async () => {
    registerAdapter("reference-memory", { openAdapter: async (_location, options) => new MemoryAdapter(options) });
    const outcomes = await runSuite(
      "reference-memory",
      CASES.map(([, group]) => group),
    );
    expect(outcomes.filter((o) => o.status === "failed")).toEqual([]);
    expect(outcomes.filter((o) => o.status === "passed").length).toBeGreaterThan(10);
  });

  it("a skipped group says why through the framework's skip", async () => {
    const outcomes = await runSuite("broken-no-reverse", ["persistence", "lost-update"]);
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.status === "skipped")).toBe(true);
    expect(outcomes.map((o) => o.reason)).toContain(
      "the adapter declares capabilities.persistent = false: its data does not outlive close(), so there is nothing to reopen",
    );
    expect(outcomes.map((o) => o.reason)).toContain(
      "the adapter declares capabilities.multiProcess = false: its store lives in one process, so no other process can open it",
    );
  });
});
