import type Database from "better-sqlite3";

const RECORD_COLUMNS = "r.rid, r.collection, r.id, r.seq, r.revision, r.crc, r.idx, r.value";

/** A row of `records` as the adapter reads it. */
export interface RecordRow {
  rid: number;
  collection: string;
  id: string;
  seq: number;
  revision: number;
  crc: number;
  idx: string | null;
  value: string;
}

/** A row of a listing by index: the entry and the record it points at (null columns if none). */
export interface EntryRow extends Partial<RecordRow> {
  ekey: Buffer;
  eid: string;
}

/**
 * Every statement the adapter runs, prepared once per connection. Range scans bound their start
 * with a row value, `(key, id) > (?, ?)`, because that is the form SQLite turns into a seek on the
 * (collection, name, key, id) key: with separate `key >= ?` and a row-value filter it would walk
 * every entry sharing the cursor's key (100,000 sessions with status "active") to find its place.
 */
const SQL = {
  dataVersion: "PRAGMA data_version",
  getRecord: `SELECT ${RECORD_COLUMNS} FROM records r WHERE r.collection = ? AND r.id = ?`,
  getSeq: "SELECT seq FROM records WHERE collection = ? AND id = ?",
  listById: `SELECT ${RECORD_COLUMNS} FROM records r
    WHERE r.collection = ? AND r.id >= ? AND r.id < ? AND (r.id, r.id) > (?, ?) ORDER BY r.id LIMIT ?`,
  listByIdReverse: `SELECT ${RECORD_COLUMNS} FROM records r
    WHERE r.collection = ? AND r.id < ? AND r.id >= ? AND (r.id, r.id) < (?, ?) ORDER BY r.id DESC LIMIT ?`,
  listByIndex: `SELECT e.key AS ekey, e.id AS eid, ${RECORD_COLUMNS} FROM index_entries e LEFT JOIN records r ON r.rid = e.rid
    WHERE e.collection = ? AND e.name = ? AND (e.key, e.id) > (?, ?) AND e.key < ? ORDER BY e.key, e.id LIMIT ?`,
  listByIndexReverse: `SELECT e.key AS ekey, e.id AS eid, ${RECORD_COLUMNS} FROM index_entries e LEFT JOIN records r ON r.rid = e.rid
    WHERE e.collection = ? AND e.name = ? AND (e.key, e.id) < (?, ?) AND e.key >= ? ORDER BY e.key DESC, e.id DESC LIMIT ?`,
  countById: "SELECT count(*) FROM records WHERE collection = ? AND id >= ? AND id < ?",
  countByIndex: "SELECT count(*) FROM index_entries WHERE collection = ? AND name = ? AND key >= ? AND key < ?",
  lastSeq: "SELECT seq FROM changes ORDER BY seq DESC LIMIT 1",
  oldRecord: "SELECT rid, idx FROM records WHERE collection = ? AND id = ?",
  insertRecord: "INSERT INTO records (collection, id, seq, revision, crc, idx, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
  updateRecord: "UPDATE records SET seq = ?, revision = ?, crc = ?, idx = ?, value = ? WHERE rid = ?",
  // A row a commit deleted, taken over by a record the same commit creates (see the adapter's apply).
  reuseRecord: "UPDATE records SET collection = ?, id = ?, seq = ?, revision = ?, crc = ?, idx = ?, value = ? WHERE rid = ?",
  deleteRecord: "DELETE FROM records WHERE rid = ?",
  insertEntry: "INSERT INTO index_entries (collection, name, key, id, rid) VALUES (?, ?, ?, ?, ?)",
  deleteEntry: "DELETE FROM index_entries WHERE collection = ? AND name = ? AND key = ? AND id = ?",
  insertChange: "INSERT INTO changes (seq, at, crc, entries) VALUES (?, ?, ?, ?)",
  trimChanges: "DELETE FROM changes WHERE seq <= ?",
  // Retention's trim: the latest change set carries the sequence, so it is never removed.
  trimChangesThrough: "DELETE FROM changes WHERE seq <= ? AND seq < (SELECT max(seq) FROM changes)",
  changesSince: "SELECT seq, at, crc, entries FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
};

// Statements that return a single column, returned as the bare value.
const PLUCKED = new Set<keyof typeof SQL>(["dataVersion", "getSeq", "countById", "countByIndex", "lastSeq"]);

export type Statements = Record<keyof typeof SQL, Database.Statement>;

export function prepareStatements(db: Database.Database): Statements {
  const out = {} as Statements;
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) {
    const stmt = db.prepare(SQL[name]);
    out[name] = PLUCKED.has(name) ? stmt.pluck() : stmt;
  }
  return out;
}
