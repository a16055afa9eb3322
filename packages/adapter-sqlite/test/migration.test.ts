import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION, SqliteAdapter } from "@statehouse/adapter-sqlite";
import { killChildren, runChild, tempDir } from "./helpers.js";

afterEach(killChildren);

/**
 * A store exactly as schema version 1 defined it, written with raw SQL (not with the adapter's
 * own DDL): values as JSONB, no checksums, no `seq` column; keys and index names as UTF-8 bytes.
 */
function buildV1(file: string): void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("application_id = 1398032433"); // "STH1"
  db.exec(`
    CREATE TABLE records (rid INTEGER PRIMARY KEY, collection TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, idx TEXT, value BLOB NOT NULL);
    CREATE UNIQUE INDEX records_by_id ON records (collection, id);
    CREATE TABLE index_entries (collection TEXT NOT NULL, name BLOB NOT NULL, key BLOB NOT NULL, id TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (collection, name, key, id)) WITHOUT ROWID;
    CREATE TABLE changes (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, entries TEXT NOT NULL);
    PRAGMA user_version = 1;
  `);
  const record = db.prepare("INSERT INTO records (rid, collection, id, revision, idx, value) VALUES (?, ?, ?, ?, ?, jsonb(?))");
  const entry = db.prepare("INSERT INTO index_entries VALUES (?, ?, ?, ?, ?)");
  const change = db.prepare("INSERT INTO changes VALUES (?, ?, ?)");
  db.transaction(() => {
    record.run(
      1,
      "sessions",
      "s1",
      3,
      '{"status":"active"}',
      JSON.stringify({ name: "first", status: "active", tags: ["a", "b"], n: 1.5 }),
    );
    entry.run("sessions", Buffer.from("status"), Buffer.from("active"), "s1", 1);
    record.run(
      2,
      "sessions",
      "s2",
      1,
      '{"status":"completed"}',
      JSON.stringify({ name: "second", status: "completed", text: "é ünïcode \u2028 😀" }),
    );
    entry.run("sessions", Buffer.from("status"), Buffer.from("completed"), "s2", 2);
    record.run(3, "state", "global", 7, null, JSON.stringify({ counter: 7, nested: { deep: [1, { x: null }] } }));
    for (let seq = 1; seq <= 11; seq++) {
      const entries =
        seq <= 3 ? [["p", "sessions", "s1", seq]] : seq === 4 ? [["p", "sessions", "s2", 1]] : [["p", "state", "global", seq - 4]];
      change.run(seq, 1_700_000_000_000 + seq, JSON.stringify(entries));
    }
  })();
  db.close();
}

function rawSchema(file: string) {
  const db = new Database(file, { readonly: true });
  const out = {
    version: db.pragma("user_version", { simple: true }),
    columns: (db.prepare("SELECT name FROM pragma_table_info('records')").pluck().all() as string[]).join(","),
    valueTypes: db.prepare("SELECT DISTINCT typeof(value) FROM records").pluck().all(),
    integrity: db.pragma("integrity_check", { simple: true }),
  };
  db.close();
  return out;
}

describe("sqlite adapter schema migration", () => {
  it("upgrades a version 1 store in place: data, revisions, indexes and change history survive", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      buildV1(file);
      expect(rawSchema(file)).toMatchObject({ version: 1, valueTypes: ["blob"] });
      const store = new SqliteAdapter(file);
      expect(SCHEMA_VERSION).toBe(2);
      expect(rawSchema(file)).toEqual({
        version: 2,
        columns: "rid,collection,id,seq,revision,crc,idx,value",
        valueTypes: ["text"],
        integrity: "ok",
      });

      expect(await store.get("sessions", "s1")).toEqual({
        collection: "sessions",
        id: "s1",
        revision: 3,
        value: { name: "first", status: "active", tags: ["a", "b"], n: 1.5 },
      });
      expect(await store.get("sessions", "s2")).toMatchObject({ revision: 1, value: { text: "é ünïcode \u2028 😀" } });
      expect(await store.get("state", "global")).toMatchObject({ revision: 7, value: { counter: 7, nested: { deep: [1, { x: null }] } } });
      expect((await store.list("sessions", { index: "status", prefix: "act" })).records.map((r) => r.id)).toEqual(["s1"]);
      expect(await store.count("sessions", { index: "status" })).toBe(2);
      expect(await store.sequence()).toBe(11);
      const history = await store.changes(0);
      expect(history.map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(history[3]).toEqual({
        sequence: 4,
        at: new Date(1_700_000_000_004).toISOString(),
        changes: [{ type: "put", collection: "sessions", id: "s2", revision: 1 }],
      });

      // Writing continues where version 1 left off.
      const out = await store.transact((tx) => {
        const cur = tx.get("state", "global")!;
        return tx.put("state", "global", { ...(cur.value as object), counter: 8 });
      });
      expect(out).toEqual({ result: 8, sequence: 12 });
      await store.transact((tx) => tx.put("sessions", "s1", { status: "completed" }, { index: { status: "completed" } }));
      expect((await store.list("sessions", { index: "status", prefix: "completed" })).records.map((r) => [r.id, r.revision])).toEqual([
        ["s1", 4],
        ["s2", 1],
      ]);
      expect(await store.check()).toEqual({ ok: true, problems: [], repaired: [] });
      await store.close();

      // Reopening finds it current and does not migrate again.
      const again = new SqliteAdapter(file);
      expect((await again.get("state", "global"))?.revision).toBe(8);
      await again.close();
    } finally {
      cleanup();
    }
  });

  it("migrates once when several processes open a version 1 store at the same moment", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      buildV1(file);
      const runs = Array.from(
        { length: 4 },
        (_, i) => runChild("write-once.mjs", [file, JSON.stringify([["put", "docs", `p${i}`, { i }]])], { timeoutMs: 60_000 }).done,
      );
      for (const r of await Promise.all(runs)) expect(JSON.parse(r.stdout), r.stderr).toMatchObject({ ok: true });
      const store = new SqliteAdapter(file);
      expect(await store.count("docs")).toBe(4);
      expect(await store.sequence()).toBe(15);
      expect((await store.get("sessions", "s1"))?.revision).toBe(3);
      expect((await store.check()).ok).toBe(true);
      await store.close();
      expect(rawSchema(file).version).toBe(2);
    } finally {
      cleanup();
    }
  });
});
