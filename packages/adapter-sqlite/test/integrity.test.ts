import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { tempDir } from "./helpers.js";

async function seeded(file: string): Promise<void> {
  const store = new SqliteAdapter(file);
  await store.transact((tx) => {
    for (let i = 0; i < 20; i++) tx.put("docs", `d${i}`, { i }, { index: { tag: `t${i % 3}` } });
  });
  await store.close();
}

function raw(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file, { fileMustExist: true });
  db.prepare(sql).run(...params);
  db.close();
}

describe("sqlite adapter check()", () => {
  it("finds index entries that no record has or that are missing, and repairs them from the records", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      await seeded(file);
      raw(file, "DELETE FROM index_entries WHERE id = 'd4'");
      raw(
        file,
        "INSERT INTO index_entries VALUES ('docs', CAST('tag' AS BLOB), CAST('t9' AS BLOB), 'd5', (SELECT rid FROM records WHERE id = 'd5'))",
      );
      const store = new SqliteAdapter(file);
      // A listing walking the stray entry notices it.
      await expect(store.list("docs", { index: "tag", prefix: "t9" })).rejects.toMatchObject({ code: "E_CORRUPT" });
      const report = await store.check();
      expect(report.ok).toBe(false);
      expect(report.problems.some((p) => p.includes("d4") && p.includes("missing"))).toBe(true);
      expect(report.problems.some((p) => p.includes("d5") && p.includes("no record has it"))).toBe(true);
      expect(report.repaired).toEqual([]);
      const repaired = await store.check({ repair: true });
      expect(repaired.ok).toBe(true);
      expect(repaired.repaired).toHaveLength(1);
      expect((await store.list("docs", { index: "tag", prefix: "t1", limit: 100 })).records.map((r) => r.id)).toEqual([
        "d1",
        "d10",
        "d13",
        "d16",
        "d19",
        "d4",
        "d7",
      ]);
      expect(await store.count("docs", { index: "tag" })).toBe(20);
      await store.close();
    } finally {
      cleanup();
    }
  });

  it("reports an index entry whose columns a damaged page turned into text or a number (no TypeError), and repairs it", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      await seeded(file);
      // Found by the corruption probe (a flipped byte made a key column NUMERIC): check() threw
      // "The first argument must be of type string or an instance of Buffer".
      raw(file, "INSERT INTO index_entries VALUES ('docs', 'tag', 12, 'd5', (SELECT rid FROM records WHERE id = 'd5'))");
      const store = new SqliteAdapter(file);
      const report = await store.check();
      expect(report.ok).toBe(false);
      expect(report.problems.some((p) => p.includes("damaged columns"))).toBe(true);
      const repaired = await store.check({ repair: true });
      expect(repaired.ok).toBe(true);
      expect(await store.count("docs", { index: "tag" })).toBe(20);
      await store.close();
    } finally {
      cleanup();
    }
  });

  it("reports a record whose checksum fails (and reading it gives E_CORRUPT); repair cannot invent its value", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      await seeded(file);
      // Same length, valid JSON, different content: only the checksum can tell.
      raw(file, `UPDATE records SET value = '{"i":8}' WHERE id = 'd7'`);
      const store = new SqliteAdapter(file);
      await expect(store.get("docs", "d7")).rejects.toMatchObject({ code: "E_CORRUPT" });
      await expect(store.list("docs")).rejects.toMatchObject({ code: "E_CORRUPT" });
      expect((await store.get("docs", "d6"))?.value).toEqual({ i: 6 });
      const report = await store.check({ repair: true });
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([expect.stringContaining("docs/d7")]);
      expect(report.repaired).toEqual([]);
      // A transaction that reads the damaged record fails too, and changes nothing.
      await expect(store.transact((tx) => tx.put("docs", "d7", { i: 7, rewritten: true }))).rejects.toMatchObject({ code: "E_CORRUPT" });
      expect(await store.sequence()).toBe(1);
      await store.close();
    } finally {
      cleanup();
    }
  });

  it("reports a gap in the change log", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      const store = new SqliteAdapter(file);
      for (let i = 0; i < 5; i++) await store.transact((tx) => tx.put("docs", "a", { i }));
      raw(file, "DELETE FROM changes WHERE seq = 3");
      const report = await store.check();
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual(["change sets 3–3 are missing"]);
      await store.close();
    } finally {
      cleanup();
    }
  });
});
