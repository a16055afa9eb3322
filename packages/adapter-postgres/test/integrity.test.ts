import { openAdapter } from "@statehouse/adapter-postgres";
import type { StorageAdapter } from "@statehouse/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, skipReason, withDatabase } from "./helpers.js";

const reason = skipReason();

async function seed(a: StorageAdapter, n: number): Promise<void> {
  await a.transact((tx) => {
    for (let i = 0; i < n; i++) {
      tx.put("s", `r${String(i).padStart(3, "0")}`, { i }, { index: { status: i % 2 === 0 ? "even" : "odd", n: `k${i}` } });
    }
  });
}

const ids = async (a: StorageAdapter, prefix: string) =>
  (await a.list("s", { index: "status", prefix, limit: 1000 })).records.map((r) => r.id);

describe.skipIf(reason !== undefined)("check() and compact()", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it("check() finds wrong, missing and orphan index entries, naming them; repair rebuilds them from the records", async () => {
    const url = withDatabase(db.url, db.name, { schema: "chk_index" });
    const a = await openAdapter(url);
    try {
      await seed(a, 40);
      expect(await a.check!()).toEqual({ ok: true, problems: [], repaired: [] });
      const evens = await ids(a, "even");
      expect(evens).toHaveLength(20);
      // Damage: one record loses its entries, another's key changes, and an entry of no record appears.
      await adminQuery("DELETE FROM chk_index.statehouse_index_entries WHERE id = 'r004'", db.url);
      await adminQuery(
        "UPDATE chk_index.statehouse_index_entries SET key = 'odd'::bytea WHERE id = 'r006' AND name = 'status'::bytea",
        db.url,
      );
      await adminQuery("INSERT INTO chk_index.statehouse_index_entries VALUES ('s', 'status'::bytea, 'even'::bytea, 'ghost')", db.url);
      const report = await a.check!();
      expect(report.ok).toBe(false);
      expect(report.repaired).toEqual([]);
      expect(report.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/statehouse_index_entries: 1 entries of records that do not exist/),
          expect.stringMatching(/record s\/r004: index entries differ/),
          expect.stringMatching(/record s\/r006: index entries differ/),
        ]),
      );
      expect(report.problems).toHaveLength(3);
      // A report changes nothing.
      expect(await ids(a, "even")).not.toEqual(evens);
      const fixed = await a.check!({ repair: true });
      expect(fixed.ok).toBe(true);
      expect(fixed.problems).toEqual([]);
      expect(fixed.repaired).toEqual([
        "deleted 1 index entries of records that do not exist",
        "rebuilt the index entries of 2 records from their index keys",
      ]);
      expect(await ids(a, "even")).toEqual(evens);
      expect(await a.count("s", { index: "n" })).toBe(40);
      expect(await a.check!()).toEqual({ ok: true, problems: [], repaired: [] });
    } finally {
      await a.close();
    }
  });

  it("check() reports a gap in the change log and a record ahead of the counter, which repair cannot hide", async () => {
    const url = withDatabase(db.url, db.name, { schema: "chk_log" });
    const a = await openAdapter(url);
    try {
      for (let i = 0; i < 5; i++) await a.transact((tx) => tx.put("s", `x${i}`, { i }));
      await adminQuery("DELETE FROM chk_log.statehouse_changes WHERE seq = 3", db.url);
      await adminQuery("UPDATE chk_log.statehouse_records SET seq = 99 WHERE id = 'x0'", db.url);
      for (const repair of [false, true]) {
        const report = await a.check!({ repair });
        expect(report.ok).toBe(false);
        expect(report.repaired).toEqual([]);
        expect(report.problems).toEqual([
          '"chk_log".statehouse_changes: 1 change sets missing between 1 and 5',
          "record s/x0: sequence 99, revision 1 (counter 5)",
        ]);
      }
    } finally {
      await a.close();
    }
  });

  it("compact() trims the change log to its retention and vacuums, keeping every record, index entry and the sequence", async () => {
    const url = withDatabase(db.url, db.name, { schema: "compact" });
    const a = await openAdapter(url, { changeRetention: 10 });
    try {
      await seed(a, 300);
      for (let i = 0; i < 100; i++) {
        await a.transact((tx) => {
          for (let j = i * 3; j < i * 3 + 3; j++) if (j % 10 !== 0) tx.delete("s", `r${String(j).padStart(3, "0")}`);
        });
      }
      const before = {
        records: (await a.list("s", { limit: 1000 })).records,
        evens: await ids(a, "even"),
        sequence: await a.sequence(),
      };
      expect(before.records).toHaveLength(30);
      // Commits trim the log in batches every 64th commit: more than the retention is left.
      expect((await a.changes(0, 1000)).length).toBeGreaterThan(10);
      await a.compact!();
      expect((await a.list("s", { limit: 1000 })).records).toEqual(before.records);
      expect(await ids(a, "even")).toEqual(before.evens);
      expect(await a.sequence()).toBe(before.sequence);
      const log = await a.changes(0, 1000);
      expect(log.map((c) => c.sequence)).toEqual(Array.from({ length: 10 }, (_, i) => before.sequence - 9 + i));
      const vacuumed = await adminQuery(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'compact' AND last_vacuum IS NOT NULL ORDER BY relname",
        db.url,
      );
      expect(vacuumed.rows.map((r) => r.relname)).toEqual([
        "statehouse_changes",
        "statehouse_counter",
        "statehouse_index_entries",
        "statehouse_records",
      ]);
      expect(await a.check!()).toEqual({ ok: true, problems: [], repaired: [] });
      await a.transact((tx) => tx.put("s", "after", { ok: true }));
      expect(await a.sequence()).toBe(before.sequence + 1);
    } finally {
      await a.close();
    }
  });
});
