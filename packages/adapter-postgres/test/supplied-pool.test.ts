import { type PostgresAdapter, openAdapter } from "@statehouse/adapter-postgres";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { clientConfig, createTestDatabase, skipReason } from "./helpers.js";
import { killChildren, runChild } from "./process.js";

const reason = skipReason();

/** Blocks this process's event loop: what a stalled client looks like to the server. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

const STALL_MS = 5000;

describe.skipIf(reason !== undefined)("a user-supplied pool", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());
  afterEach(killChildren);

  /**
   * Drives one transaction on a pool with no session settings into the counter-locked path
   * (`lockAfterConflicts: 0`) while a writer in another process keeps committing, stalls this
   * process inside it for STALL_MS, and returns the longest the other writer waited between two
   * commits meanwhile.
   */
  async function stalledHolder(schema: string, idleInTransactionTimeoutMs: number): Promise<{ longestWaitMs: number; runs: number }> {
    const url = new URL(db.url);
    url.searchParams.set("schema", schema);
    // The user's pool: no statement_timeout, no idle_in_transaction_session_timeout.
    const pool = new pg.Pool({ ...clientConfig(db.url), max: 2 });
    pool.on("error", () => undefined);
    pool.on("connect", (c) => c.on("error", () => undefined));
    const opened = await openAdapter("", { pool, schema, idleInTransactionTimeoutMs, lockTimeoutMs: 60_000, lockAfterConflicts: 0 });
    const adapter = opened as PostgresAdapter;
    const acks: number[] = [];
    try {
      await adapter.transact((tx) => tx.put("c", "hot", { n: 0 }));
      await adapter.get("c", "hot");
      let ready!: () => void;
      const started = new Promise<void>((r) => {
        ready = r;
      });
      const hammer = runChild("hammer.mjs", [url.toString()], {
        onLine: (l) => {
          if (l.startsWith("ack ")) acks.push(Number(l.slice(4)));
          if (acks.length === 5) ready();
        },
      });
      await started;
      let runs = 0;
      let stalled = false;
      const lockedBefore = adapter.lockedTransactions;
      await adapter.transact((tx) => {
        runs++;
        const r = tx.get("c", "hot");
        // The first run is against the cache, without the lock; the locked path counts itself
        // before it sends the lock, and runs this function again once it holds it.
        if (!stalled && adapter.lockedTransactions > lockedBefore) {
          stalled = true;
          stall(STALL_MS);
        }
        tx.put("c", "hot", { n: ((r?.value as { n: number } | undefined)?.n ?? 0) + 1 });
      });
      expect(stalled, "the transaction reached the counter-locked path").toBe(true);
      const t = Date.now();
      while (acks.length > 0 && acks[acks.length - 1]! < t) await new Promise((r) => setTimeout(r, 20));
      hammer.child.kill("SIGKILL");
      await hammer.done;
      // Nothing lost: the other writer's acknowledged increments and this one.
      const final = (await adapter.get("c", "hot"))?.value as { n: number };
      expect(final.n).toBeGreaterThanOrEqual(acks.length + 1);
      let longest = 0;
      for (let i = 1; i < acks.length; i++) longest = Math.max(longest, acks[i]! - acks[i - 1]!);
      return { longestWaitMs: longest, runs };
    } finally {
      await adapter.close();
      await pool.end();
    }
  }

  it("idleInTransactionTimeoutMs holds inside the adapter's locked transaction: a stalled holder is cut off, other writers go on", async () => {
    const cut = await stalledHolder("supplied_cut", 500);
    // The server ends the stalled session after 0.5 s; the slack is for a loaded machine.
    expect(cut.longestWaitMs).toBeLessThan(STALL_MS - 2000);
    // Control: with the limit off, the other writer waits for the whole stall.
    const held = await stalledHolder("supplied_held", 0);
    expect(held.longestWaitMs).toBeGreaterThanOrEqual(STALL_MS - 500);
  });
});
