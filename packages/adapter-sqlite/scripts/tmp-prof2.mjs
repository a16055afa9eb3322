import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
const dir = mkdtempSync("/tmp/sqp-");
const db = new Database(`${dir}/b.db`); db.pragma("journal_mode=WAL"); db.pragma("synchronous=NORMAL");
db.exec("CREATE TABLE records (rid INTEGER PRIMARY KEY, collection TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, revision INTEGER NOT NULL, crc INTEGER NOT NULL, idx TEXT, value TEXT NOT NULL); CREATE UNIQUE INDEX records_by_id ON records (collection, id); CREATE TABLE changes (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, crc INTEGER NOT NULL, entries TEXT NOT NULL)");
db.prepare("insert into records (collection,id,seq,revision,crc,idx,value) values ('docs','d',0,0,0,null,'{}')").run();
const dv = db.prepare("PRAGMA data_version").pluck();
const last = db.prepare("SELECT seq FROM changes ORDER BY seq DESC LIMIT 1").pluck();
const old = db.prepare("SELECT rid, idx FROM records WHERE collection = ? AND id = ?");
const upd = db.prepare("UPDATE records SET seq = ?, revision = ?, crc = ?, idx = ?, value = ? WHERE rid = ?");
const ins = db.prepare("INSERT INTO changes (seq, at, crc, entries) VALUES (?, ?, ?, ?)");
const steps = { dv: 0n, last: 0n, old: 0n, upd: 0n, ins: 0n, begin: 0n, commit: 0n };
const begin = db.prepare("BEGIN IMMEDIATE"), commit = db.prepare("COMMIT");
const T = () => process.hrtime.bigint();
for (let i = 1; i <= 3000; i++) {
  let t = T(); begin.run(); steps.begin += T() - t;
  t = T(); dv.get(); steps.dv += T() - t;
  t = T(); const s = (last.get() ?? 0) + 1; steps.last += T() - t;
  t = T(); const o = old.get("docs", "d"); steps.old += T() - t;
  t = T(); upd.run(s, s, 123, null, `{"a":${i}}`, o.rid); steps.upd += T() - t;
  t = T(); ins.run(s, Date.now(), 1, `[["p","docs","d",${s}]]`); steps.ins += T() - t;
  t = T(); commit.run(); steps.commit += T() - t;
}
for (const [k, v] of Object.entries(steps)) console.log(k, (Number(v) / 1000 / 3000).toFixed(2), "µs");
db.pragma("wal_autocheckpoint = 0");
db.pragma("wal_checkpoint(TRUNCATE)");
for (let i = 1; i <= 1000; i++) { begin.run(); const s = (last.get() ?? 0) + 1; const o = old.get("docs","d"); upd.run(s, s, 1, null, `{"a":${i}}`, o.rid); ins.run(s, Date.now(), 1, `[["p","docs","d",${s}]]`); commit.run(); }
console.log("frames per commit", db.pragma("wal_checkpoint(PASSIVE)")[0].log / 1000);
let t = process.hrtime.bigint();
for (let i = 1; i <= 1000; i++) { begin.run(); const o = old.get("docs","d"); upd.run(1, 1, 1, null, `{"a":${i}}`, o.rid); commit.run(); }
console.log("no-change-log tx µs", Number(process.hrtime.bigint() - t) / 1000 / 1000);
t = process.hrtime.bigint();
for (let i = 1; i <= 1000; i++) { begin.run(); const s = (last.get() ?? 0) + 1; const o = old.get("docs","d"); upd.run(s, s, 1, null, `{"a":${i}}`, o.rid); ins.run(s, Date.now(), 1, `[["p","docs","d",${s}]]`); commit.run(); }
console.log("with-change-log tx µs", Number(process.hrtime.bigint() - t) / 1000 / 1000);
