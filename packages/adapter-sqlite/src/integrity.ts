import { readdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { IndexKeys, IntegrityReport } from "@statehouse/core";
import type Database from "better-sqlite3";
import { changeCrc, recordCrc } from "./checksum.js";
import { decodeKey, encodeKey } from "@statehouse/core/spi";

const BATCH = 1000;
const MAX_PROBLEMS = 100;

function pragmaProblems(db: Database.Database, pragma: string): string[] {
  const rows = db.pragma(pragma) as Record<string, string>[];
  const lines = rows.map((r) => String(Object.values(r)[0]));
  return lines.length === 1 && lines[0] === "ok" ? [] : lines.map((l) => `${pragma}: ${l}`);
}

function entryKey(collection: string, name: Buffer, key: Buffer, id: string, rid: number): string {
  return `${collection}\u0000${name.toString("hex")}\u0000${key.toString("hex")}\u0000${id}\u0000${rid}`;
}

/**
 * The adapter's own invariants, which SQLite cannot know: every row's checksum, every record's
 * index entries present and nothing else in `index_entries`, the change log without gaps.
 * Returns the problems and the entries the records call for (to rebuild them).
 */
function scan(db: Database.Database): { problems: string[]; recordsOk: boolean; entriesOk: boolean; expected: Map<string, unknown[]> } {
  const problems: string[] = [];
  const expected = new Map<string, unknown[]>();
  // The entries of a damaged record cannot be judged (its index keys are untrustworthy too).
  const damaged = new Set<number>();
  let recordsOk = true;
  const readRecords = db.prepare(
    "SELECT rid, collection, id, seq, revision, crc, idx, value FROM records WHERE rid > ? ORDER BY rid LIMIT ?",
  );
  for (let last = -Infinity; ; ) {
    const rows = readRecords.all(last, BATCH) as {
      rid: number;
      collection: string;
      id: string;
      seq: number;
      revision: number;
      crc: number;
      idx: string | null;
      value: string;
    }[];
    for (const r of rows) {
      const where = `record ${r.collection}/${r.id} (row ${r.rid})`;
      if (recordCrc(r.collection, r.id, r.seq, r.revision, r.idx, r.value) !== r.crc) {
        recordsOk = false;
        damaged.add(r.rid);
        problems.push(`${where}: checksum mismatch`);
        continue;
      }
      try {
        JSON.parse(r.value);
        const index = r.idx === null ? {} : (JSON.parse(r.idx) as IndexKeys);
        for (const [name, key] of Object.entries(index)) {
          const n = encodeKey(name);
          const k = encodeKey(key);
          expected.set(entryKey(r.collection, n, k, r.id, r.rid), [r.collection, n, k, r.id, r.rid]);
        }
      } catch {
        recordsOk = false;
        damaged.add(r.rid);
        problems.push(`${where}: unparseable JSON`);
      }
    }
    if (rows.length < BATCH) break;
    last = rows[rows.length - 1]!.rid;
  }
  let entriesOk = true;
  const seen = new Set<string>();
  for (const e of db.prepare("SELECT collection, name, key, id, rid FROM index_entries").all() as {
    collection: unknown;
    name: unknown;
    key: unknown;
    id: unknown;
    rid: number;
  }[]) {
    // A damaged page can turn a column into NULL, a number or text: such an entry is a problem to
    // report, never a TypeError out of check().
    if (typeof e.collection !== "string" || !Buffer.isBuffer(e.name) || !Buffer.isBuffer(e.key) || typeof e.id !== "string") {
      entriesOk = false;
      problems.push(`index entry (row for record row ${String(e.rid)}): damaged columns`);
      continue;
    }
    const k = entryKey(e.collection, e.name, e.key, e.id, e.rid);
    seen.add(k);
    if (!expected.has(k) && !damaged.has(e.rid)) {
      entriesOk = false;
      problems.push(
        `index entry ${e.collection}/${JSON.stringify(decodeKey(e.name))}/${JSON.stringify(decodeKey(e.key))} → ${e.id}: no record has it`,
      );
    }
  }
  for (const [k, [collection, name, key, id]] of expected) {
    if (!seen.has(k)) {
      entriesOk = false;
      problems.push(
        `index entry ${collection}/${JSON.stringify(decodeKey(name as Buffer))}/${JSON.stringify(decodeKey(key as Buffer))} → ${id}: missing`,
      );
    }
  }
  let previous: number | undefined;
  const readChanges = db.prepare("SELECT seq, at, crc, entries FROM changes WHERE seq > ? ORDER BY seq LIMIT ?");
  for (let last = -Infinity; ; ) {
    const rows = readChanges.all(last, BATCH) as { seq: number; at: number; crc: number; entries: string }[];
    for (const c of rows) {
      if (changeCrc(c.seq, c.at, c.entries) !== c.crc) problems.push(`change set ${c.seq}: checksum mismatch`);
      if (previous !== undefined && c.seq !== previous + 1) problems.push(`change sets ${previous + 1}–${c.seq - 1} are missing`);
      previous = c.seq;
    }
    if (rows.length < BATCH) break;
    last = rows[rows.length - 1]!.seq;
  }
  return { problems, recordsOk, entriesOk, expected };
}

function leftovers(file: string): string[] {
  const prefix = `${basename(file)}.init-`;
  try {
    return readdirSync(dirname(file))
      .filter((n) => n.startsWith(prefix))
      .map((n) => `leftover temporary file ${dirname(file)}/${n}`);
  } catch {
    return [];
  }
}

/**
 * `check()`: SQLite's own checks (quick_check, then the thorough integrity_check) and the
 * adapter's invariants, in one read snapshot. With `repair`, SQL indexes are rebuilt (REINDEX) and
 * `index_entries` is rebuilt from the records, when the records themselves are intact; a record
 * whose checksum fails cannot be repaired here (there is no second copy), only reported.
 */
export function checkStore(db: Database.Database, file: string, repair: boolean): IntegrityReport {
  const run = db.transaction(() => {
    const sqlite = [...pragmaProblems(db, "quick_check"), ...pragmaProblems(db, "integrity_check")];
    return { sqlite, ...scan(db) };
  });
  let result = run.deferred();
  const repaired: string[] = [];
  if (repair && (result.sqlite.length > 0 || !result.entriesOk) && result.recordsOk) {
    db.transaction(() => {
      db.exec("REINDEX");
      const fresh = scan(db);
      if (!fresh.recordsOk) return;
      db.exec("DELETE FROM index_entries");
      const insert = db.prepare("INSERT INTO index_entries (collection, name, key, id, rid) VALUES (?, ?, ?, ?, ?)");
      for (const values of fresh.expected.values()) insert.run(...values);
    }).immediate();
    repaired.push("rebuilt the SQL indexes (REINDEX) and index_entries from the records");
    result = run.deferred();
  }
  const problems = [...result.sqlite, ...result.problems, ...leftovers(file)];
  const shown =
    problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`] : problems;
  return { ok: problems.length === 0, problems: shown, repaired };
}
