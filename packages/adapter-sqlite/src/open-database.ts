import { randomBytes } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  chmodSync,
  openSync,
  readSync,
  readdirSync,
  unlinkSync,
} from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { ConfigError, CorruptError } from "@statehouse/core";
import Database from "better-sqlite3";
import { mapEngineError } from "./map-engine-error.js";
import { migrate, schemaVersion } from "./migrations.js";
import type { ResolvedSqliteOptions } from "./options.js";
import { APPLICATION_ID, CURRENT_VERSION, SCHEMAS } from "./schema.js";

const MAGIC = Buffer.from("SQLite format 3\u0000", "latin1");
const TEMP_MARK = ".init-";

/** Creates the missing directories of `dir`, each 0700 whatever the umask. */
function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
      chmodSync(d, 0o700);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw mapEngineError(err, d, "creating the store's directory");
    }
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Builds a complete, empty store in a temporary file and links it into place, so the store's path
 * only ever names a whole statehouse database: a missing, empty or foreign file there is never
 * mistaken for a store to initialise. `link` fails if a rival process got there first, and then
 * its store is used.
 */
function createDatabase(file: string, durability: ResolvedSqliteOptions["durability"]): void {
  const tmp = `${file}${TEMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
    const db = new Database(tmp, { fileMustExist: true });
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.transaction(() => {
        for (const o of SCHEMAS.get(CURRENT_VERSION)!) db.exec(o.sql);
        db.pragma(`user_version = ${CURRENT_VERSION}`);
      }).immediate();
    } finally {
      // The last connection checkpoints the WAL into the file and removes -wal and -shm.
      db.close();
    }
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (durability === "strict") fsyncDirectory(dirname(file));
  } catch (err) {
    throw mapEngineError(err, file, "creating the store");
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) removeQuietly(tmp + suffix);
  }
}

/** The first 100 bytes must be a SQLite header carrying statehouse's application id. */
function checkHeader(file: string): { wal: boolean } {
  const header = Buffer.alloc(100);
  let n = 0;
  try {
    const fd = openSync(file, "r");
    try {
      n = readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw mapEngineError(err, file, "opening the store");
  }
  if (n < 100) throw new CorruptError(`corrupt store ${file}: the file is ${n} bytes, shorter than a SQLite header`, { details: { file } });
  if (!header.subarray(0, 16).equals(MAGIC)) {
    throw new CorruptError(`corrupt store ${file}: not a SQLite database`, { details: { file } });
  }
  if (header.readUInt32BE(68) !== APPLICATION_ID) {
    throw new CorruptError(`corrupt store ${file}: not a statehouse database (application id ${header.readUInt32BE(68)})`, {
      details: { file },
    });
  }
  return { wal: header[18] === 2 && header[19] === 2 };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes what a process killed while creating the store left behind. */
function removeLeftovers(file: string): void {
  const dir = dirname(file);
  const prefix = basename(file) + TEMP_MARK;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) removeQuietly(`${dir}/${name}`);
  }
}

/** Opens (creating if absent) the store at `location`, verified and migrated to the current schema. */
export function openDatabase(location: string, options: ResolvedSqliteOptions): { db: Database.Database; file: string } {
  if (location.includes("\u0000")) throw new ConfigError("the sqlite store path contains a NUL byte");
  const file = resolve(location);
  ensureDirectory(dirname(file));
  if (!existsSync(file)) createDatabase(file, options.durability);
  const { wal } = checkHeader(file);
  try {
    // Even a WAL reader writes (to -shm), and SQLite would open a read-only file read-only and then
    // leave -wal and -shm owned by this user behind: refuse up front instead.
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw mapEngineError(err, file, "opening the store (it needs read and write permission)");
  }
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, timeout: options.lockTimeoutMs });
  } catch (err) {
    throw mapEngineError(err, file, "opening the store");
  }
  try {
    db.pragma(`synchronous = ${options.durability === "strict" ? "FULL" : "NORMAL"}`);
    // Verified before anything is written, so a foreign or damaged file is left as it was.
    const version = schemaVersion(db, file);
    if (!wal) {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new CorruptError(`corrupt store ${file}: cannot switch it to WAL (journal mode ${String(mode)})`);
    }
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
    migrate(db, file, version);
    // Opening (and migrating) waited for locks with the whole lockTimeoutMs; from now on the
    // adapter waits itself (SqliteAdapter.engine).
    db.pragma("busy_timeout = 0");
  } catch (err) {
    db.close();
    throw mapEngineError(err, file, "opening the store");
  }
  removeLeftovers(file);
  return { db, file };
}
