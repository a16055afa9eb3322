import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { open } from "@statehouse/core";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function fresh(): string {
  const d = tempDir();
  dirs.push(d);
  return join(d.dir, "s.db");
}

function rows(file: string): { rid: number; collection: string; id: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT rid, collection, id FROM records ORDER BY rid").all() as { rid: number; collection: string; id: string }[];
  } finally {
    db.close();
  }
}

describe("a commit that deletes one record and creates another rewrites the deleted one's row", () => {
  it("keeps index entries, listings, reads from a fresh connection and check() right, in transact and in a group", async () => {
    const file = fresh();
    const a = new SqliteAdapter(file, { durability: "relaxed" });
    await a.transact((tx) => {
      for (let i = 0; i < 4; i++) tx.put("docs", `d${i}`, { i }, { index: { tag: `t${i % 2}` } });
    });
    const before = rows(file);
    // d1 (indexed) goes, e1 (indexed differently) and e2 (not indexed) come: e1 takes d1's row.
    await a.transact((tx) => {
      tx.delete("docs", "d1");
      tx.put("docs", "e1", { e: 1 }, { index: { tag: "t9" } });
      tx.put("docs", "e2", { e: 2 });
    });
    const after = rows(file);
    expect(after.find((r) => r.id === "e1")?.rid).toBe(before.find((r) => r.id === "d1")?.rid);
    expect(after.map((r) => r.id).sort()).toEqual(["d0", "d2", "d3", "e1", "e2"]);
    // A group: member 1 deletes two records, member 2 creates one; the other spare row is deleted.
    const outcomes = await a.transactGroup!([
      (tx) => {
        tx.delete("docs", "d2");
        tx.delete("docs", "e2");
      },
      (tx) => tx.put("docs", "g1", { g: 1 }, { index: { tag: "t0" } }),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(
      rows(file)
        .map((r) => r.id)
        .sort(),
    ).toEqual(["d0", "d3", "e1", "g1"]);
    expect(rows(file).length).toBe(before.length);

    for (const s of [a, new SqliteAdapter(file)]) {
      expect((await s.get("docs", "d1"))?.value).toBeUndefined();
      expect((await s.get("docs", "e1"))?.value).toEqual({ e: 1 });
      expect((await s.get("docs", "g1"))?.revision).toBe(1);
      expect((await s.list("docs", { index: "tag", prefix: "t0" })).records.map((r) => r.id)).toEqual(["d0", "g1"]);
      expect((await s.list("docs", { index: "tag", prefix: "t9" })).records.map((r) => r.id)).toEqual(["e1"]);
      expect((await s.list("docs", { index: "tag", prefix: "t1" })).records.map((r) => r.id)).toEqual(["d3"]);
      expect((await s.changes(0)).at(-1)?.changes).toEqual([{ type: "put", collection: "docs", id: "g1", revision: 1 }]);
      const report = await s.check!();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      await s.close();
    }
  });

  it("a document write with history dirties 4 WAL pages, not 5.4 (delete of the oldest entry and insert of the newest: one row)", async () => {
    const file = fresh();
    const store = await open(`sqlite:${file}`, { historyLimit: 20, durability: "relaxed" });
    const doc = store.state("pages");
    const items = Array.from({ length: 9 }, (_, i) => ({
      id: `item-${i}`,
      title: `step ${i} of the plan, with a few words of description`,
    }));
    await doc.replace({ counters: { tokens: 0 }, items });
    for (let i = 0; i < 100; i++) await doc.set("/counters/tokens", i);
    const other = new Database(file);
    try {
      other.pragma("wal_checkpoint(TRUNCATE)");
      const n = 40;
      for (let i = 0; i < n; i++) await doc.set("/counters/tokens", i);
      const wal = readFileSync(`${file}-wal`);
      const pageSize = wal.readUInt32BE(8);
      let frames = 0;
      let commits = 0;
      for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) {
        frames++;
        if (wal.readUInt32BE(off + 4) !== 0) commits++;
      }
      expect(commits).toBe(n);
      // The document (and its history meta) page, the reused entry's page, the id index, the change log.
      expect(frames / commits).toBeLessThanOrEqual(4.2);
      expect((await doc.history({ limit: 100 })).length).toBe(21);
    } finally {
      other.close();
      await store.close();
    }
  });
});
