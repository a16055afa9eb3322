// Measures JSON text against JSONB as the stored form of a record's value, for the schema choice
// recorded in the README. Run: node packages/adapter-sqlite/scripts/measure-json-storage.mjs
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const N = Number(process.env.N ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), "sh-json-"));

function doc(i) {
  // About 1 KB, shaped like a session state document.
  const o = { id: `s-${i}`, status: ["active", "completed", "failed"][i % 3], counter: i, tags: [] , notes: {} };
  for (let k = 0; k < 12; k++) o.tags.push(`tag-${k}-${i % 97}`);
  for (let k = 0; k < 10; k++) o.notes[`key${k}`] = { at: 1_700_000_000_000 + i, text: `note ${k} for ${i}`, ok: k % 2 === 0 };
  return JSON.stringify(o);
}

function time(label, n, fn) {
  const t0 = process.hrtime.bigint();
  fn();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  return { label, usPerOp: Math.round(us * 100) / 100 };
}

function run(kind) {
  const file = join(dir, `${kind}.db`);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const valueType = kind === "jsonb" ? "BLOB" : "TEXT";
  db.exec(`CREATE TABLE records (collection TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, value ${valueType} NOT NULL, PRIMARY KEY (collection, id)) WITHOUT ROWID`);
  const put = db.prepare(
    kind === "jsonb"
      ? "INSERT INTO records VALUES ('docs', ?, 1, jsonb(?)) ON CONFLICT DO UPDATE SET revision = revision + 1, value = excluded.value"
      : "INSERT INTO records VALUES ('docs', ?, 1, ?) ON CONFLICT DO UPDATE SET revision = revision + 1, value = excluded.value",
  );
  const get = db.prepare(kind === "jsonb" ? "SELECT revision, json(value) AS value FROM records WHERE collection = 'docs' AND id = ?" : "SELECT revision, value FROM records WHERE collection = 'docs' AND id = ?");
  const filter = db.prepare("SELECT count(*) FROM records WHERE collection = 'docs' AND value ->> '$.status' = 'failed'");
  const docs = Array.from({ length: N }, (_, i) => doc(i));
  const bulk = db.transaction(() => { for (let i = 0; i < N; i++) put.run(`d${i}`, docs[i]); });
  const results = [];
  results.push(time("insert (one transaction, per row)", N, bulk));
  const single = db.transaction((i) => put.run(`d${i}`, docs[i]));
  results.push(time("upsert (own transaction, synchronous=NORMAL)", 2000, () => { for (let i = 0; i < 2000; i++) single.immediate(i); }));
  results.push(time("get + JSON.parse", N, () => { for (let i = 0; i < N; i++) JSON.parse(get.get(`d${i}`).value); }));
  results.push(time("get without parse", N, () => { for (let i = 0; i < N; i++) get.get(`d${i}`); }));
  results.push(time(`SQL filter on $.status over ${N} rows (per query)`, 20, () => { for (let i = 0; i < 20; i++) filter.pluck().get(); }));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.exec("VACUUM");
  db.close();
  const bytes = statSync(file).size;
  return { kind, bytesPerRecord: Math.round(bytes / N), avgJsonBytes: Math.round(docs.reduce((a, d) => a + d.length, 0) / N), results };
}

try {
  for (const kind of ["text", "jsonb"]) console.log(JSON.stringify(run(kind), null, 1));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
