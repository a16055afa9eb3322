import { PostgresAdapter } from "@statehouse/adapter-postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, skipReason, withDatabase } from "./helpers.js";
import { killChildren, runChild } from "./process.js";

// One record written by many processes at once: the counter-locked path (PostgresAdapter.locked),
// which sends its statements as two multi-statement messages with literal values.

const reason = skipReason();

interface ChildReport {
  locked: number;
  sequences: number[];
}

/** `procs` processes, each with its own pool, increment c/hot `per` times from the same moment. */
async function incrementFleet(
  url: string,
  procs: number,
  per: number,
  lockAfterConflicts?: number,
  slow?: { spinMs: number; lockTimeoutMs: number },
): Promise<ChildReport[]> {
  const startAt = Date.now() + 2000;
  const extra = slow === undefined ? [] : [String(slow.spinMs), String(slow.lockTimeoutMs)];
  const runs = Array.from(
    { length: procs },
    () =>
      runChild("increment-child.mjs", [url, String(per), String(startAt), String(lockAfterConflicts ?? ""), ...extra], {
        timeoutMs: 240_000,
      }).done,
  );
  const results = await Promise.all(runs);
  return results.map((r) => {
    expect(`${r.code} ${r.stderr}`).toBe("0 ");
    return JSON.parse(r.stdout) as ChildReport;
  });
}

/** The final count, and that the change sequence is exactly 1..n with one change set per increment. */
async function expectExact(url: string, reports: ChildReport[], total: number): Promise<void> {
  const sequences = reports.flatMap((r) => r.sequences).sort((a, b) => a - b);
  expect(sequences).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  const reader = await PostgresAdapter.open(url);
  try {
    expect((await reader.get("c", "hot"))?.value).toEqual({ n: total });
    expect((await reader.get("c", "hot"))?.revision).toBe(total);
    expect(await reader.sequence()).toBe(total);
    const changes = await reader.changes(0, total + 10);
    expect(changes.map((c) => c.sequence)).toEqual(sequences);
  } finally {
    await reader.close();
  }
}

describe.skipIf(reason !== undefined)("one hot record under many processes", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());
  afterEach(killChildren);

  it("a waiter behind writers that get through is not refused: 6 processes on the locked path each holding the counter lock ≥ 400 ms, lock timeout 1 s", async () => {
    const url = withDatabase(db.url, db.name, { schema: "hot_queue" });
    // lockAfterConflicts 0: every transaction takes the locked path, whose run of the function
    // (under the counter lock) spins 400 ms, so the turns queue up for about 2.5 s (measured:
    // the sixth committed 2.57 s after the start). PostgreSQL's lock_timeout bounds each wait
    // for one holder, not the wait in the queue: nobody is refused while the queue moves.
    const reports = await incrementFleet(url, 6, 1, 0, { spinMs: 400, lockTimeoutMs: 1000 });
    await expectExact(url, reports, 6);
  });

  it("10 processes × 50 increments of one record: exact, gapless, and the contention sent writers down the locked path", async () => {
    const url = withDatabase(db.url, db.name, { schema: "hot_default" });
    const reports = await incrementFleet(url, 10, 50);
    await expectExact(url, reports, 500);
    // Ten writers of one record conflict; the first conflict (default lockAfterConflicts 1) takes
    // the locked path. Without it this sum is 0.
    expect(reports.reduce((n, r) => n + r.locked, 0)).toBeGreaterThan(0);
  }, 300_000);

  it("lockAfterConflicts 0: every one of 4 processes × 25 increments commits on the locked path, exact and gapless", async () => {
    const url = withDatabase(db.url, db.name, { schema: "hot_forced" });
    const reports = await incrementFleet(url, 4, 25, 0);
    await expectExact(url, reports, 100);
    for (const r of reports) expect(r.locked).toBe(25);
  }, 300_000);

  it("transactGroup: 50 members in one locked transaction, each its own sequence and change set, a throwing member rolled back alone", async () => {
    const url = withDatabase(db.url, db.name, { schema: "grouped" });
    const adapter = await PostgresAdapter.open(url);
    try {
      await adapter.transact((tx) => tx.put("c", "g", { n: 0 }));
      const before = adapter.lockedTransactions;
      const fns = Array.from({ length: 50 }, (_, i) => (tx: Parameters<Parameters<typeof adapter.transact>[0]>[0]) => {
        const r = tx.get("c", "g")!;
        const n = (r.value as { n: number }).n + 1;
        if (i === 10) throw new Error("member 10 refuses");
        tx.put("c", "g", { n });
        return n;
      });
      const outcomes = await adapter.transactGroup(fns);
      expect(adapter.lockedTransactions - before).toBe(1);
      expect(outcomes[10]).toMatchObject({ ok: false });
      const ok = outcomes.filter((o) => o.ok) as { result: number; sequence: number }[];
      expect(ok.map((o) => o.result)).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
      expect(ok.map((o) => o.sequence)).toEqual(Array.from({ length: 49 }, (_, i) => i + 2));
      const reader = await PostgresAdapter.open(url);
      try {
        expect(await reader.get("c", "g")).toMatchObject({ value: { n: 49 }, revision: 50 });
        const changes = await reader.changes(0);
        expect(changes.map((c) => [c.sequence, c.changes.map((e) => e.revision)])).toEqual(
          Array.from({ length: 50 }, (_, i) => [i + 1, [i + 1]]),
        );
      } finally {
        await reader.close();
      }
    } finally {
      await adapter.close();
    }
  }, 120_000);

  it("hostile values, index keys and ids go through the locked path's literals unchanged, and nothing else runs", async () => {
    const url = withDatabase(db.url, db.name, { schema: "hostile" });
    const writer = await PostgresAdapter.open(url, { lockAfterConflicts: 0 });
    const reader = await PostgresAdapter.open(url);
    const hostile = [
      "it's",
      "''; DROP TABLE hostile.statehouse_records; --",
      "back\\slash \\' \\\\' E'\\x00'",
      "$$; SELECT 1; $$",
      "$fn$ $body$ $1 $2::text[]",
      "\u0001\u001f NUL-adjacent \u0000 in a string",
      "\u2028\u2029 \uFFFF \uD83D\uDE00 \u00e9",
      "{\"a\",NULL} ARRAY['x'] '{}'::text[]",
    ];
    // Ids are ASCII letters, digits and _.:@+-, index names likewise (core validates); index keys
    // are any printable ASCII, values any JSON.
    const ids = ["a.b:c@d+e-f_", "O'Brien".replace("'", "_"), "x--y", "_1+2@3"];
    const keys = ["it's", "back\\slash\\", "$$ $$", "'); DROP TABLE x; --", '{"a",NULL}'];
    try {
      const writes = ids.map((id, i) => ({
        id,
        value: { text: hostile[i * 2]!, more: hostile[i * 2 + 1]!, [hostile[i]!]: hostile },
        key: keys[i]!,
      }));
      for (const w of writes) {
        const out = await writer.transact((tx) => {
          // Read as absent first: the read set (an absent key) goes through the literals too.
          expect(tx.get("h", w.id)).toBeUndefined();
          tx.put("h", w.id, w.value, { index: { "by.key": w.key, "alt:x": keys[4]! } });
          return w.id;
        });
        expect(out.result).toBe(w.id);
      }
      expect(writer.lockedTransactions).toBe(writes.length);
      for (const w of writes) {
        const got = await reader.get("h", w.id);
        expect(got?.value).toEqual(w.value);
        expect(got?.revision).toBe(1);
      }
      // Index order is byte order of the keys, the same as every adapter.
      const listed = await reader.list("h", { index: "by.key" });
      const byKey = [...writes].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      expect(listed.records.map((r) => r.id)).toEqual(byKey.map((w) => w.id));
      const changes = await reader.changes(0);
      expect(changes.flatMap((c) => c.changes.map((e) => e.id))).toEqual(ids);
      // An update through the locked path, reading what it wrote.
      await writer.transact((tx) => {
        const r = tx.get("h", ids[1]!)!;
        tx.put("h", ids[1]!, { ...(r.value as object), again: hostile });
      });
      expect((await reader.get("h", ids[1]!))?.value).toEqual({ ...writes[1]!.value, again: hostile });
      expect(await reader.check()).toMatchObject({ ok: true });
      const tables = await adminQuery("SELECT count(*) AS n FROM hostile.statehouse_records", db.url);
      expect(tables.rows).toEqual([{ n: String(ids.length) }]);
    } finally {
      await writer.close();
      await reader.close();
    }
  }, 120_000);
});
