import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, rmdirSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Durability } from "@statehouse/core";
import { documentOfSize, sessionFixture } from "../fixtures.js";

/**
 * "Same-work" floors: the raw engine doing exactly the physical writes that ONE statehouse
 * `state-update` or `session-create` performs on an adapter (its write inventory, measured by
 * instrumenting the adapters: see the benchmarks README and benchmarks/test/same-work-floors.test.ts,
 * which fails when an adapter's writes and these stop matching), with no statehouse code in the
 * loop. A one-op floor (one upsert, one put, one file) is no floor for a write that must also
 * keep history, a change feed and a sequence: these are.
 *
 * With history on (the default, 20 earlier revisions kept), one update of a 1 KB document writes
 * in one transaction: the document, the new history entry (taking over the oldest one, which
 * goes), the history-meta record naming the kept revisions, one change-log entry and the
 * sequence. One session create writes the session record, its 6 index entries and the change
 * log. The values have the sizes statehouse writes (the same fixtures); checksums are constants
 * (computing them is statehouse's CPU work, not the engine's).
 *
 * Left out on purpose, so these stay lower bounds: the reads of the transaction (one indexed
 * SELECT, or a few LMDB gets from the map), LMDB's process mutex (a second, always aborted,
 * write transaction statehouse adds for a fair cross-process queue), and the file adapter's fold
 * (every 32nd commit rewrites the touched buckets; amortised, not per write).
 */

export type SameWorkEngine = "sqlite" | "lmdb" | "file";
export type SameWorkOp = "update" | "create";

/** Which statehouse operation a same-work op stands for (operations.ts). */
export const SAME_WORK_OPS: Readonly<Record<SameWorkOp, string>> = { update: "state-update", create: "session-create" };

const DURABILITY_WORD: Readonly<Record<SameWorkEngine, Readonly<Record<Durability, string>>>> = {
  sqlite: { strict: "full", relaxed: "normal" },
  lmdb: { strict: "flushed", relaxed: "nosync" },
  file: { strict: "fsync", relaxed: "nosync" },
};

/** The floor's name, e.g. "sqlite-update-same-work-full" (strict) or "lmdb-create-same-work-nosync" (relaxed). */
export function sameWorkFloorName(engine: SameWorkEngine, op: SameWorkOp, durability: Durability): string {
  return `${engine}-${op}-same-work-${DURABILITY_WORD[engine][durability]}`;
}

export interface SameWorkSpec {
  readonly engine: SameWorkEngine;
  readonly op: SameWorkOp;
  readonly durability: Durability;
  readonly name: string;
}

const ENGINES: readonly SameWorkEngine[] = ["sqlite", "lmdb", "file"];

export const SAME_WORK_FLOORS: readonly SameWorkSpec[] = ENGINES.flatMap((engine) =>
  (["update", "create"] as const).flatMap((op) =>
    (["strict", "relaxed"] as const).map((durability) => ({ engine, op, durability, name: sameWorkFloorName(engine, op, durability) })),
  ),
);

/** The same-work floor of an adapter's operation result, if there is one (adapter name = engine name). */
export function sameWorkFloorFor(adapter: string, durability: Durability | undefined, statehouseOp: string): string | undefined {
  const op = (Object.keys(SAME_WORK_OPS) as SameWorkOp[]).find((o) => SAME_WORK_OPS[o] === statehouseOp);
  if (op === undefined || durability === undefined || !ENGINES.includes(adapter as SameWorkEngine)) return undefined;
  return sameWorkFloorName(adapter as SameWorkEngine, op, durability);
}

export interface SameWorkFloor {
  /** One operation's writes, committed with the durability of the spec. */
  step(): void;
  /** The engine objects it writes through (an LMDB database; none for SQLite and files), for tests that count its calls. */
  readonly handles: readonly object[];
  close(): Promise<void>;
}

export interface SameWorkOptions {
  /** Change sets kept (the adapters' `changeRetention`); default 10,000, the adapters' default. */
  readonly changeRetention?: number;
}

// --- The values, as statehouse writes them --------------------------------------------------------

/** Earlier revisions kept per document (core's DEFAULT_HISTORY_LIMIT). */
const HISTORY_LIMIT = 20;
/** Both adapters trim their change log every 64th commit (sqlite change-log.ts, lmdb change-log.ts). */
const TRIM_EVERY = 64;
const AT = "2026-12-08T00:00:00.000Z";

const revisionId = (revision: number) => `g.global@${String(revision).padStart(16, "0")}`;

/** The document texts of an update (alternating, as the benchmark's counter changes). */
function documentTexts(): [string, string] {
  const doc = documentOfSize(1024);
  const counters = doc.counters as Record<string, number>;
  return [
    JSON.stringify({ ...doc, counters: { ...counters, tokens: 100_001 } }),
    JSON.stringify({ ...doc, counters: { ...counters, tokens: 100_002 } }),
  ];
}

/** The history-meta record of a document with HISTORY_LIMIT kept revisions (core's history.ts shape). */
function metaText(revision: number, size: number): string {
  const entries = Array.from({ length: HISTORY_LIMIT }, (_, i) => ({ revision: revision - 1 - i, at: AT, size }));
  return JSON.stringify({ collection: "state", document: "global", revision, at: AT, size, entries });
}

const SESSION_INDEX_NAMES = ["created", "updated", "status-created", "status-updated", "project-created", "project-updated"];

interface SessionWrite {
  id: string;
  value: string;
  index: Record<string, string>;
}

function sessionWrite(i: number): SessionWrite {
  const s = sessionFixture(i);
  const id = `ses_${(1_000_000_000 + i).toString(36).padStart(23, "0")}`;
  const at = new Date(Date.UTC(2026, 11, 8) + i).toISOString();
  const value = JSON.stringify({
    id,
    name: s.name,
    project: s.project,
    status: "active",
    createdAt: at,
    updatedAt: at,
    metadata: s.metadata,
  });
  const index: Record<string, string> = {
    created: at,
    updated: at,
    "status-created": `active\u0001${at}`,
    "status-updated": `active\u0001${at}`,
    "project-created": `${s.project}\u0001${at}`,
    "project-updated": `${s.project}\u0001${at}`,
  };
  return { id, value, index };
}

/** The change-log text of a change set (the sqlite adapter's stored form: [type, collection, id, revision]). */
function changeText(entries: readonly [string, string, string, number][]): string {
  return JSON.stringify(entries);
}

// --- SQLite ---------------------------------------------------------------------------------------

/** The sqlite adapter's schema, version 2 (adapter-sqlite schema.ts); the test compares it with a real store's. */
export const SQLITE_SCHEMA: readonly string[] = [
  "CREATE TABLE records (rid INTEGER PRIMARY KEY, collection TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, revision INTEGER NOT NULL, crc INTEGER NOT NULL, idx TEXT, value TEXT NOT NULL)",
  "CREATE UNIQUE INDEX records_by_id ON records (collection, id)",
  "CREATE TABLE index_entries (collection TEXT NOT NULL, name BLOB NOT NULL, key BLOB NOT NULL, id TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (collection, name, key, id)) WITHOUT ROWID",
  "CREATE TABLE changes (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, crc INTEGER NOT NULL, entries TEXT NOT NULL)",
];

/** The adapter's write statements, word for word (adapter-sqlite statements.ts). */
export const SQLITE_WRITES = {
  insertRecord: "INSERT INTO records (collection, id, seq, revision, crc, idx, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
  updateRecord: "UPDATE records SET seq = ?, revision = ?, crc = ?, idx = ?, value = ? WHERE rid = ?",
  reuseRecord: "UPDATE records SET collection = ?, id = ?, seq = ?, revision = ?, crc = ?, idx = ?, value = ? WHERE rid = ?",
  insertEntry: "INSERT INTO index_entries (collection, name, key, id, rid) VALUES (?, ?, ?, ?, ?)",
  insertChange: "INSERT INTO changes (seq, at, crc, entries) VALUES (?, ?, ?, ?)",
  trimChanges: "DELETE FROM changes WHERE seq <= ?",
} as const;

const CRC = 0x5eed;

function openSqliteFloor(op: SameWorkOp, durability: Durability, dir: string, retention: number): SameWorkFloor {
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
  const db = new Database(join(dir, `same-work-${op}.db`));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${durability === "strict" ? "FULL" : "NORMAL"}`);
  for (const sql of SQLITE_SCHEMA) db.exec(sql);
  const s = Object.fromEntries(Object.entries(SQLITE_WRITES).map(([k, sql]) => [k, db.prepare(sql)])) as Record<
    keyof typeof SQLITE_WRITES,
    import("better-sqlite3").Statement
  >;
  let seq = 0;
  const appendChange = (entries: [string, string, string, number][]) => {
    seq++;
    s.insertChange.run(seq, Date.now(), CRC, changeText(entries));
    if (seq % TRIM_EVERY === 0 && seq > retention) s.trimChanges.run(seq - retention);
  };
  let body: () => void;
  if (op === "update") {
    const texts = documentTexts();
    // The steady state: the document, HISTORY_LIMIT kept revisions (oldest first), the meta record.
    let revision = HISTORY_LIMIT + 1;
    const stateRid = Number(s.insertRecord.run("state", "global", 0, revision, CRC, null, texts[0]).lastInsertRowid);
    const kept: number[] = [];
    for (let r = 1; r <= HISTORY_LIMIT; r++) {
      kept.push(Number(s.insertRecord.run("history", revisionId(r), 0, 1, CRC, null, texts[r & 1]!).lastInsertRowid));
    }
    const metaRid = Number(
      s.insertRecord.run("history-meta", "g.global", 0, revision, CRC, null, metaText(revision, texts[0].length)).lastInsertRowid,
    );
    body = () => {
      revision++;
      const text = texts[revision & 1]!;
      s.updateRecord.run(seq + 1, revision, CRC, null, text, stateRid);
      // The oldest kept revision goes and the newest comes: the adapter rewrites the oldest's row in place.
      const rid = kept.shift()!;
      s.reuseRecord.run("history", revisionId(revision - 1), seq + 1, 1, CRC, null, texts[(revision - 1) & 1], rid);
      kept.push(rid);
      s.updateRecord.run(seq + 1, revision, CRC, null, metaText(revision, text.length), metaRid);
      appendChange([
        ["p", "state", "global", revision],
        ["d", "history", revisionId(revision - 1 - HISTORY_LIMIT), 1],
        ["p", "history", revisionId(revision - 1), 1],
        ["p", "history-meta", "g.global", revision],
      ]);
    };
  } else {
    let i = 0;
    body = () => {
      const w = sessionWrite(i++);
      const rid = Number(s.insertRecord.run("sessions", w.id, seq + 1, 1, CRC, JSON.stringify(w.index), w.value).lastInsertRowid);
      for (const name of SESSION_INDEX_NAMES) s.insertEntry.run("sessions", Buffer.from(name), Buffer.from(w.index[name] ?? ""), w.id, rid);
      appendChange([["p", "sessions", w.id, 1]]);
    };
  }
  const txn = db.transaction(body);
  return {
    step: () => txn.immediate(),
    handles: [],
    close: async () => {
      db.close();
    },
  };
}

// --- LMDB -----------------------------------------------------------------------------------------

/** lmdb-js transactionSync flags, as the lmdb adapter commits (lmdb-adapter.ts commitFlags). */
export const LMDB_FLAGS: Readonly<Record<Durability, number>> = { strict: 2 | 1, relaxed: 2 | 0x10000 };
/** The record header of the lmdb adapter's record codec (format, crc, stamp, revision, index length). */
const LMDB_HEADER = 25;
const LOG_SEQUENCE = Buffer.from([0xff]);

function logKey(sequence: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(sequence, 2, 6);
  return b;
}

const recordKey = (collection: string, id: string) => Buffer.from(`${collection}\u0000${id}`);

function lmdbRecord(index: Record<string, string> | undefined, json: string): Buffer {
  const indexJson = index === undefined ? "" : JSON.stringify(index);
  return Buffer.concat([Buffer.alloc(LMDB_HEADER, 1), Buffer.from(indexJson), Buffer.from(json)]);
}

async function openLmdbFloor(op: SameWorkOp, durability: Durability, dir: string, retention: number): Promise<SameWorkFloor> {
  const { open } = await import("lmdb");
  const root = open({ path: join(dir, `same-work-${op}-lmdb`), maxDbs: 8, overlappingSync: false } as never) as import("lmdb").RootDatabase;
  const sub = (name: string) =>
    root.openDB({ name, encoding: "binary", keyEncoding: "binary" }) as unknown as import("lmdb").Database<Buffer, Buffer>;
  const records = sub("records");
  const index = sub("index");
  const log = sub("log");
  const flags = LMDB_FLAGS[durability];
  let seq = 0;
  const appendChange = (entries: [number, string, string, number][]) => {
    seq++;
    log.put(logKey(seq), Buffer.from(JSON.stringify({ at: new Date().toISOString(), c: entries })));
    const drop = seq - retention;
    if (drop > 0 && seq % TRIM_EVERY === 0) {
      for (const key of log.getKeys({ start: logKey(0), end: logKey(drop + 1) })) log.remove(key as Buffer);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleLE(seq, 0);
    log.put(LOG_SEQUENCE, b);
  };
  let body: () => void;
  if (op === "update") {
    const texts = documentTexts();
    let revision = HISTORY_LIMIT + 1;
    root.transactionSync(() => {
      records.put(recordKey("state", "global"), lmdbRecord(undefined, texts[0]));
      for (let r = 1; r <= HISTORY_LIMIT; r++) records.put(recordKey("history", revisionId(r)), lmdbRecord(undefined, texts[r & 1]!));
      records.put(recordKey("history-meta", "g.global"), lmdbRecord(undefined, metaText(revision, texts[0].length)));
    });
    body = () => {
      revision++;
      const text = texts[revision & 1]!;
      records.put(recordKey("state", "global"), lmdbRecord(undefined, text));
      records.remove(recordKey("history", revisionId(revision - 1 - HISTORY_LIMIT)));
      records.put(recordKey("history", revisionId(revision - 1)), lmdbRecord(undefined, texts[(revision - 1) & 1]!));
      records.put(recordKey("history-meta", "g.global"), lmdbRecord(undefined, metaText(revision, text.length)));
      appendChange([
        [1, "state", "global", revision],
        [0, "history", revisionId(revision - 1 - HISTORY_LIMIT), 1],
        [1, "history", revisionId(revision - 1), 1],
        [1, "history-meta", "g.global", revision],
      ]);
    };
  } else {
    let i = 0;
    const empty = Buffer.alloc(0);
    body = () => {
      const w = sessionWrite(i++);
      for (const name of SESSION_INDEX_NAMES)
        index.put(Buffer.from(`sessions\u0000${name}\u0000${w.index[name] ?? ""}\u0000${w.id}`), empty);
      records.put(recordKey("sessions", w.id), lmdbRecord(w.index, w.value));
      appendChange([[1, "sessions", w.id, 1]]);
    };
  }
  return {
    step: () => root.transactionSync(body, flags as never),
    handles: [records],
    close: async () => {
      await root.close();
    },
  };
}

// --- File -----------------------------------------------------------------------------------------

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * The file adapter's commit: under its lock (a directory made, stamped, and an owner record
 * linked into it), the whole commit as one new file in wal/ (written to a temporary, fsynced,
 * linked into place, the temporary unlinked), the lock released, then wal/ fsynced.
 */
function openFileFloor(op: SameWorkOp, durability: Durability, dir: string): SameWorkFloor {
  const sync = durability === "strict";
  const base = join(dir, `same-work-${op}-file`);
  const wal = join(base, "wal");
  const lock = join(base, "lock");
  const owners = join(base, "owners");
  mkdirSync(wal, { recursive: true, mode: 0o700 });
  mkdirSync(owners, { recursive: true, mode: 0o700 });
  const owner = join(owners, `${process.pid}-owner.json`);
  const fd0 = openSync(owner, CREATE_FLAGS, 0o600);
  writeSync(fd0, JSON.stringify({ pid: process.pid, start: 0, host: "floor" }));
  closeSync(fd0);
  let seq = 0;
  let payload: () => Buffer;
  if (op === "update") {
    const texts = documentTexts();
    let revision = HISTORY_LIMIT + 1;
    payload = () => {
      revision++;
      const text = texts[revision & 1]!;
      const writes = [
        { type: "put", c: "state", id: "global", rev: revision, value: text },
        { type: "delete", c: "history", id: revisionId(revision - 1 - HISTORY_LIMIT), rev: 1 },
        { type: "put", c: "history", id: revisionId(revision - 1), rev: 1, value: texts[(revision - 1) & 1] },
        { type: "put", c: "history-meta", id: "g.global", rev: revision, value: metaText(revision, text.length) },
      ];
      return Buffer.from(JSON.stringify({ statehouse: "commit", format: 1, seq, at: AT, writes }));
    };
  } else {
    let i = 0;
    payload = () => {
      const w = sessionWrite(i++);
      const writes = [{ type: "put", c: "sessions", id: w.id, rev: 1, index: w.index, value: w.value }];
      return Buffer.from(JSON.stringify({ statehouse: "commit", format: 1, seq, at: AT, writes }));
    };
  }
  return {
    step: () => {
      seq++;
      const data = payload();
      mkdirSync(lock, 0o700);
      const now = new Date();
      utimesSync(lock, now, now);
      linkSync(owner, join(lock, "owner"));
      const name = `${String(seq).padStart(16, "0")}.json`;
      const tmp = join(wal, `.${name}.${process.pid}.tmp`);
      const fd = openSync(tmp, CREATE_FLAGS, 0o600);
      try {
        writeSync(fd, data);
        if (sync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      linkSync(tmp, join(wal, name));
      unlinkSync(tmp);
      unlinkSync(join(lock, "owner"));
      rmdirSync(lock);
      if (sync) {
        const d = openSync(wal, "r");
        try {
          fsyncSync(d);
        } finally {
          closeSync(d);
        }
      }
    },
    handles: [],
    close: async () => {},
  };
}

/** Opens a same-work floor in `dir` (an empty directory), its store filled to the steady state. */
export async function openSameWorkFloor(spec: SameWorkSpec, dir: string, options: SameWorkOptions = {}): Promise<SameWorkFloor> {
  const retention = options.changeRetention ?? 10_000;
  if (spec.engine === "sqlite") return openSqliteFloor(spec.op, spec.durability, dir, retention);
  if (spec.engine === "lmdb") return openLmdbFloor(spec.op, spec.durability, dir, retention);
  return openFileFloor(spec.op, spec.durability, dir);
}
