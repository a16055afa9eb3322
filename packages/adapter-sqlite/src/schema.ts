/**
 * The on-disk schema, one entry per version. The version lives in `PRAGMA user_version`, and every
 * open compares `sqlite_schema` with the DDL of that version, so a flipped version byte or a
 * damaged schema is reported as corruption instead of being "migrated" or used.
 */

/** "STH1": marks a statehouse database in the header (`PRAGMA application_id`). */
export const APPLICATION_ID = 0x53544831;

export const CURRENT_VERSION = 2;

export interface SchemaObject {
  readonly type: "table" | "index";
  readonly name: string;
  readonly sql: string;
}

// Index entries are identical in both versions: (collection, index name, key, id), names and keys
// as order-preserving BLOBs (core's spi/key-codec.ts), `rid` pointing at the record row.
const INDEX_ENTRIES: SchemaObject = {
  type: "table",
  name: "index_entries",
  sql: "CREATE TABLE index_entries (collection TEXT NOT NULL, name BLOB NOT NULL, key BLOB NOT NULL, id TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (collection, name, key, id)) WITHOUT ROWID",
};

const RECORDS_BY_ID: SchemaObject = {
  type: "index",
  name: "records_by_id",
  sql: "CREATE UNIQUE INDEX records_by_id ON records (collection, id)",
};

/**
 * Version 1: values as JSONB, no checksums. Measurement (README) showed JSON text reads faster
 * and round-trips byte for byte, which a checksum needs; corruption tests showed that a flipped
 * byte inside a value went unnoticed. Kept so the migration can be tested and old stores upgraded.
 */
export const SCHEMA_V1: readonly SchemaObject[] = [
  {
    type: "table",
    name: "records",
    sql: "CREATE TABLE records (rid INTEGER PRIMARY KEY, collection TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, idx TEXT, value BLOB NOT NULL)",
  },
  RECORDS_BY_ID,
  INDEX_ENTRIES,
  { type: "table", name: "changes", sql: "CREATE TABLE changes (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, entries TEXT NOT NULL)" },
];

/**
 * Version 2: values as the exact JSON text core validated; `seq` is the change sequence that last
 * wrote the record (never repeats for a record, even across delete and re-create, so it validates
 * cached values); `crc` is a CRC-32 over every column, checked on every read that parses a row.
 */
export const SCHEMA_V2: readonly SchemaObject[] = [
  {
    type: "table",
    name: "records",
    sql: "CREATE TABLE records (rid INTEGER PRIMARY KEY, collection TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, revision INTEGER NOT NULL, crc INTEGER NOT NULL, idx TEXT, value TEXT NOT NULL)",
  },
  RECORDS_BY_ID,
  INDEX_ENTRIES,
  {
    type: "table",
    name: "changes",
    sql: "CREATE TABLE changes (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, crc INTEGER NOT NULL, entries TEXT NOT NULL)",
  },
];

export const SCHEMAS: ReadonlyMap<number, readonly SchemaObject[]> = new Map([
  [1, SCHEMA_V1],
  [2, SCHEMA_V2],
]);

/** A canonical text of a schema, for comparison with what `sqlite_schema` holds. */
export function fingerprint(objects: readonly { type: string; name: string; sql: string | null }[]): string {
  return objects
    .filter((o) => !o.name.startsWith("sqlite_"))
    .map((o) => `${o.type} ${o.name}: ${o.sql ?? ""}`)
    .sort()
    .join("\n");
}

/** The version whose schema matches exactly, if any. */
export function matchVersion(actual: string): number | undefined {
  for (const [version, objects] of SCHEMAS) if (fingerprint(objects) === actual) return version;
  return undefined;
}
