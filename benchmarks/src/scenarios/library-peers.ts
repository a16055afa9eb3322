import { join } from "node:path";
import { documentOfSize } from "../fixtures.js";
import { measure } from "../measure.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

/**
 * What a library user picks instead of statehouse, in process, on the same 1 KB document the
 * `doc-get`/`doc-set` rows read and replace:
 * - keyv 6 with its SQLite store (@keyv/sqlite on better-sqlite3, as configured by default: a
 *   rollback journal, SQLite's default synchronous=FULL, so each set is one durable autocommit).
 *   A key-value map: no revisions, no conditional writes, no transaction across keys, no change
 *   feed; several processes may share the file (SQLite's locking).
 * - lowdb 7 with its JSON file adapter: the whole database is one JSON file held in memory;
 *   a get is a property read, a set rewrites the whole file (steno: temp file and rename, no
 *   fsync). One process only: two processes overwrite each other's writes.
 * Each runs in this child, timed by the same tinybench settings as the statehouse rows.
 */
const OPS = ["keyv-sqlite-get", "keyv-sqlite-set", "lowdb-get", "lowdb-set"] as const;

export const libraryPeersScenario: Scenario = {
  name: "library-peers",
  group: "operation",
  title: "Library peers in process (keyv with SQLite, lowdb), 1 KB document",
  perAdapter: false,
  writes: false,
  ops: () => [...OPS],
  async run(ctx): Promise<BenchResult[]> {
    const job = { ...ctx.job, adapter: "peer" };
    const doc = documentOfSize(1024);
    const timing = { timeMs: ctx.job.settings.timeMs };
    const out: BenchResult[] = [];
    try {
      const { default: Keyv } = await import("keyv");
      const { default: KeyvSqlite } = await import("@keyv/sqlite");
      const kv = new Keyv({ store: new KeyvSqlite(`sqlite://${join(ctx.dir, "keyv.sqlite")}`) });
      try {
        await kv.set("global", doc);
        const got = await kv.get("global");
        out.push(
          okResult(job, "keyv-sqlite-get", await measure("keyv-sqlite-get", () => kv.get("global"), timing), {
            check: {
              expected: 1,
              actual: JSON.stringify(got) === JSON.stringify(doc) ? 1 : 0,
              ok: JSON.stringify(got) === JSON.stringify(doc),
            },
            note: "keyv 6 + @keyv/sqlite (better-sqlite3, default settings)",
          }),
        );
        let i = 0;
        const m = await measure("keyv-sqlite-set", () => kv.set("global", { ...doc, i: ++i }), timing);
        const last = Number(((await kv.get("global")) as { i?: unknown } | undefined)?.i);
        out.push(okResult(job, "keyv-sqlite-set", m, { check: { expected: i, actual: last, ok: last === i } }));
      } finally {
        await kv.disconnect();
      }
    } catch (err) {
      for (const op of OPS.slice(0, 2)) if (!out.some((r) => r.op === op)) out.push(failedResult(job, op, err));
    }
    try {
      const { Low } = await import("lowdb");
      const { JSONFile } = await import("lowdb/node");
      const file = join(ctx.dir, "lowdb.json");
      // Not JSONFilePreset: under NODE_ENV=test (vitest sets it) the preset keeps data in memory only.
      const db = new Low<Record<string, unknown>>(new JSONFile(file), {});
      await db.read();
      db.data.global = doc;
      await db.write();
      out.push(
        okResult(job, "lowdb-get", await measure("lowdb-get", () => db.data.global, timing), {
          note: "lowdb 7 JSONFile (whole file in memory; set rewrites it, no fsync)",
        }),
      );
      let i = 0;
      const m = await measure(
        "lowdb-set",
        () => {
          db.data.global = { ...doc, i: ++i };
          return db.write();
        },
        timing,
      );
      // What a fresh reader of the file sees: the last write, whole.
      const { readFile } = await import("node:fs/promises");
      const onDisk = Number((JSON.parse(await readFile(file, "utf8")) as { global?: { i?: unknown } }).global?.i);
      out.push(okResult(job, "lowdb-set", m, { check: { expected: i, actual: onDisk, ok: onDisk === i } }));
    } catch (err) {
      for (const op of OPS.slice(2)) if (!out.some((r) => r.op === op)) out.push(failedResult(job, op, err));
    }
    return out;
  },
};
