import { PostgresAdapter, openAdapter } from "@statehouse/adapter-postgres";
import { sized } from "@statehouse/conformance/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientConfig, createTestDatabase, skipReason } from "./helpers.js";

// A writing transaction whose misses are all in a collection where misses lately were absent
// commits without fetching them first (AbsenceGuess): the commit validates them as absent.

const reason = skipReason();

/** A real pool that counts the statements the adapter sends through it (each one round trip). */
class CountingPool extends pg.Pool {
  sent = 0;
  override query(...args: unknown[]): never {
    this.sent++;
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

type Tx = Parameters<Parameters<PostgresAdapter["transact"]>[0]>[0];

describe.skipIf(reason !== undefined)("guessing a missed record absent", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it("new keys commit in one statement; a wrong guess (another client's record) is refused by the commit and the function runs again on the real record", async () => {
    const schema = "guess";
    const pool = new CountingPool({ ...clientConfig(db.url), max: 2 });
    pool.on("error", () => undefined);
    const writer = (await openAdapter("", { pool, schema })) as PostgresAdapter;
    const other = await PostgresAdapter.open(db.url, { schema });
    /** Statements one transaction sent. */
    const sent = async <T>(fn: (tx: Tx) => T): Promise<{ result: T; statements: number }> => {
      const before = pool.sent;
      const { result } = await writer.transact(fn);
      return { result, statements: pool.sent - before };
    };
    const append = (id: string) => (tx: Tx) => {
      const r = tx.get("log", id);
      const n = ((r?.value as { n?: number } | undefined)?.n ?? 0) + 1;
      tx.put("log", id, { n });
      return n;
    };
    try {
      // Nothing known about "log" yet: the miss is fetched, then the commit.
      expect(await sent(append("e0"))).toEqual({ result: 1, statements: 2 });
      // Its miss was absent: from now on a new key is guessed absent and committed at once.
      const entries = sized(20, 200);
      for (let i = 1; i < entries; i++) expect(await sent(append(`e${i}`))).toEqual({ result: 1, statements: 1 });

      // Another client's record where this one guesses absence: the commit refuses the guess, the
      // record is fetched and the function runs again on it (6, not a second "first" value 1).
      await other.transact((tx) => tx.put("log", "theirs", { n: 5 }));
      expect(await sent(append("theirs"))).toEqual({ result: 6, statements: 3 });
      expect(writer.refusedAbsenceGuesses).toBe(1);
      expect(writer.lockedTransactions).toBe(0);
      expect(await other.get("log", "theirs")).toMatchObject({ value: { n: 6 }, revision: 2 });
      // After a wrong guess the collection is fetched again until a fetch finds its misses absent.
      expect(await sent(append("f0"))).toEqual({ result: 1, statements: 2 });
      expect(await sent(append("f1"))).toEqual({ result: 1, statements: 1 });

      // A throw decided on a guessed absence is not believed: the record is fetched and the
      // function runs again.
      await other.transact((tx) => tx.put("log", "must", { n: 1 }));
      const guarded = await sent((tx) => {
        if (tx.get("log", "must") === undefined) throw new Error("absent");
        tx.put("log", "must", { n: 2 });
        return "ran";
      });
      expect(guarded.result).toBe("ran");
      // Nor is a read-only run's answer: it reads the record another client wrote.
      await other.transact((tx) => tx.put("log", "ro", { n: 7 }));
      expect((await sent((tx) => tx.get("log", "ro")?.value)).result).toEqual({ n: 7 });

      // Every commit, guessed or not, took one sequence: gapless, one change set each.
      // e0…: entries; theirs, f0 + f1, must: 2 each; ro: 1 (the other client's; the read-only run commits nothing).
      const total = entries + 7;
      expect(await other.sequence()).toBe(total);
      expect((await other.changes(0, total + 10)).map((c) => c.sequence)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(await other.check()).toMatchObject({ ok: true });
    } finally {
      await writer.close();
      await other.close();
      await pool.end();
    }
  }, 120_000);

  it("two clients create-or-increment the same new keys at once: each key ends at exactly 2, whoever guessed what", async () => {
    const schema = "guess_race";
    const pool = new CountingPool({ ...clientConfig(db.url), max: 2 });
    pool.on("error", () => undefined);
    const a = (await openAdapter("", { pool, schema })) as PostgresAdapter;
    const b = await PostgresAdapter.open(db.url, { schema });
    const n = sized(40, 400);
    // Both create-or-increment the same keys, a and b interleaved: each key ends at 2, whoever
    // came first, and a's guesses that b had created the key first are refused and run again.
    const bump = (id: string) => (tx: Tx) => {
      const r = tx.get("k", id);
      tx.put("k", id, { n: ((r?.value as { n?: number } | undefined)?.n ?? 0) + 1 });
    };
    try {
      // Both learn that misses in "k" are absent, so both guess on every new key.
      await a.transact(bump("warm-a"));
      await b.transact(bump("warm-b"));
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          await Promise.all([a.transact(bump(`x${i}`)), b.transact(bump(`x${i}`))]);
        }),
      );
      for (let i = 0; i < n; i++) expect((await b.get("k", `x${i}`))?.value).toEqual({ n: 2 });
      expect(await b.sequence()).toBe(2 + 2 * n);
      // The race was real: some of a's guesses met b's record first (or the other way round).
      expect(a.refusedAbsenceGuesses + (b as PostgresAdapter).refusedAbsenceGuesses).toBeGreaterThan(0);
      expect(await b.check()).toMatchObject({ ok: true });
    } finally {
      await a.close();
      await b.close();
      await pool.end();
    }
  }, 120_000);
});
