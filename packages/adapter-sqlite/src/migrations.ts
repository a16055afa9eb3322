import { ConfigError, CorruptError } from "@statehouse/core";
import type Database from "better-sqlite3";
import { changeCrc, recordCrc } from "./checksum.js";
import { CURRENT_VERSION, SCHEMA_V2, fingerprint, matchVersion } from "./schema.js";

type Db = Database.Database;

/** Upgrades a store in place from one version to the next; runs inside the write lock. */
type Migration = (db: Db) => void;

const BATCH = 1000;

/** v1 → v2: values from JSONB to JSON text, a `seq` stamp and a CRC on every record and change set. */
const v1ToV2: Migration = (db) => {
  db.exec("DROP INDEX records_by_id");
  db.exec("ALTER TABLE records RENAME TO records_v1");
  db.exec("ALTER TABLE changes RENAME TO changes_v1");
  for (const o of SCHEMA_V2) if (o.name === "records" || o.name === "records_by_id" || o.name === "changes") db.exec(o.sql);
  // Rows written before the upgrade are stamped with the sequence at upgrade time: later writes
  // take higher sequences, so a stamp still never repeats for a record.
  const stamp = (db.prepare("SELECT coalesce(max(seq), 0) FROM changes_v1").pluck().get() as number) ?? 0;
  const readRecords = db.prepare(
    "SELECT rid, collection, id, revision, idx, json(value) AS value FROM records_v1 WHERE rid > ? ORDER BY rid LIMIT ?",
  );
  const insertRecord = db.prepare(
    "INSERT INTO records (rid, collection, id, seq, revision, crc, idx, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  // better-sqlite3 cannot run a statement while iterating another, so the copy goes in batches.
  for (let last = -Infinity; ; ) {
    const rows = readRecords.all(last, BATCH) as {
      rid: number;
      collection: string;
      id: string;
      revision: number;
      idx: string | null;
      value: string;
    }[];
    for (const r of rows) {
      const crc = recordCrc(r.collection, r.id, stamp, r.revision, r.idx, r.value);
      insertRecord.run(r.rid, r.collection, r.id, stamp, r.revision, crc, r.idx, r.value);
    }
    if (rows.length < BATCH) break;
    last = rows[rows.length - 1]!.rid;
  }
  const readChanges = db.prepare("SELECT seq, at, entries FROM changes_v1 WHERE seq > ? ORDER BY seq LIMIT ?");
  const insertChange = db.prepare("INSERT INTO changes (seq, at, crc, entries) VALUES (?, ?, ?, ?)");
  for (let last = -Infinity; ; ) {
    const rows = readChanges.all(last, BATCH) as { seq: number; at: number; entries: string }[];
    for (const c of rows) insertChange.run(c.seq, c.at, changeCrc(c.seq, c.at, c.entries), c.entries);
    if (rows.length < BATCH) break;
    last = rows[rows.length - 1]!.seq;
  }
  db.exec("DROP TABLE records_v1");
  db.exec("DROP TABLE changes_v1");
};

/** MIGRATIONS[n] upgrades version n to n + 1. */
const MIGRATIONS: ReadonlyMap<number, Migration> = new Map([[1, v1ToV2]]);

/** The schema version of an open database, checked against its actual schema. */
export function schemaVersion(db: Db, file: string): number {
  const stated = db.pragma("user_version", { simple: true }) as number;
  const objects = db.prepare("SELECT type, name, sql FROM sqlite_schema").all() as { type: string; name: string; sql: string | null }[];
  const matched = matchVersion(fingerprint(objects));
  if (matched === undefined) {
    if (stated > CURRENT_VERSION) {
      throw new ConfigError(
        `the store ${file} has schema version ${stated}, made by a newer @statehouse/adapter-sqlite (this one knows up to ${CURRENT_VERSION}): upgrade the adapter`,
        { details: { file, version: stated } },
      );
    }
    const what = objects.length === 0 ? "it has no tables" : `its schema matches no known version (user_version ${stated})`;
    throw new CorruptError(`corrupt store ${file}: not a statehouse database, ${what}`, { details: { file } });
  }
  if (matched !== stated) {
    throw new CorruptError(`corrupt store ${file}: user_version says ${stated} but the schema is version ${matched}`, {
      details: { file },
    });
  }
  return stated;
}

/**
 * Verifies the schema and upgrades an older store in place. The upgrade takes the write lock
 * (BEGIN IMMEDIATE) and checks the version again inside it, so of several processes opening an old
 * store at once exactly one migrates and the others wait and then find it current.
 */
export function migrate(db: Db, file: string, version: number): void {
  if (version === CURRENT_VERSION) return;
  db.transaction(() => {
    for (let v = schemaVersion(db, file); v < CURRENT_VERSION; v++) {
      MIGRATIONS.get(v)!(db);
      db.pragma(`user_version = ${v + 1}`);
    }
    // The result must be exactly the current schema, as a new store would have it.
    if (schemaVersion(db, file) !== CURRENT_VERSION) throw new CorruptError(`migrating ${file} did not reach version ${CURRENT_VERSION}`);
  }).immediate();
}
