import { openAdapter } from "@statehouse/adapter-postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, skipReason, withDatabase } from "./helpers.js";
import { killChildren, runChild } from "./process.js";

const reason = skipReason();

describe.skipIf(reason !== undefined)("opening a new database", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(() => db?.drop());
  afterEach(killChildren);

  it("ten processes opening a fresh database at once make one schema, and none fails", async () => {
    const url = withDatabase(db.url, db.name, { schema: "fresh" });
    const startAt = Date.now() + 1500;
    const runs = Array.from(
      { length: 10 },
      (_, i) => runChild("open-store.mjs", [url, String(startAt), `p${i}`], { timeoutMs: 60_000 }).done,
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(`${r.code} ${r.stdout}${r.stderr}`).toBe("0 ok\n");
    const versions = await adminQuery("SELECT version FROM fresh.statehouse_schema", db.url);
    expect(versions.rows).toEqual([{ version: 1 }]);
    const counters = await adminQuery("SELECT seq FROM fresh.statehouse_counter", db.url);
    expect(counters.rows).toEqual([{ seq: "10" }]);
    const adapter = await openAdapter(url);
    try {
      expect((await adapter.list("opened")).records.map((r) => r.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
      expect((await adapter.changes(0)).map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await adapter.close();
    }
  });

  it("a schema newer than this adapter knows is refused with E_CONFIG, and left as it was", async () => {
    const url = withDatabase(db.url, db.name, { schema: "future" });
    const first = await openAdapter(url);
    await first.close();
    await adminQuery("INSERT INTO future.statehouse_schema (version) VALUES (99)", db.url);
    await expect(openAdapter(url)).rejects.toMatchObject({ code: "E_CONFIG", message: expect.stringMatching(/version 99.*newer/) });
    const versions = await adminQuery("SELECT version FROM future.statehouse_schema ORDER BY version", db.url);
    expect(versions.rows).toEqual([{ version: 1 }, { version: 99 }]);
  });

  it("a database that does not exist is E_CONFIG, a bad URL parameter too", async () => {
    await expect(openAdapter(withDatabase(db.url, "no_such_database"))).rejects.toMatchObject({ code: "E_CONFIG" });
    await expect(openAdapter(withDatabase(db.url, db.name, { sslmode: "require" }))).rejects.toMatchObject({ code: "E_CONFIG" });
    await expect(openAdapter(withDatabase(db.url, db.name, { schema: "Robert'); DROP" }))).rejects.toMatchObject({ code: "E_CONFIG" });
  });
});

if (reason !== undefined) {
  describe("opening a new database", () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
}
