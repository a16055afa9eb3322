import type { IntegrityReport } from "@statehouse/core";
import { encodeKey } from "@statehouse/core/spi";
import type pg from "pg";
import { CURRENT_VERSION, quoteIdent } from "./schema.js";

/** Records read per page while comparing index entries with the records they come from. */
const PAGE = 5_000;
/** Problems listed in a report; the rest are counted. */
const MAX_PROBLEMS = 100;

interface EntryRow {
  collection: string;
  id: string;
  idx: string | null;
  names: Buffer[] | null;
  keys: Buffer[] | null;
}

/** The index entries a record's `idx` column (JSON: index name → key) says it has, as "name/key" hex pairs. */
function expectedEntries(idx: string | null): string[] {
  if (idx === null) return [];
  const index = JSON.parse(idx) as Record<string, string>;
  return Object.entries(index)
    .map(([name, key]) => `${encodeKey(name).toString("hex")}/${encodeKey(key).toString("hex")}`)
    .sort();
}

function actualEntries(row: EntryRow): string[] {
  const names = row.names ?? [];
  const keys = row.keys ?? [];
  return names
    .map((n, i) => (n === null ? undefined : `${n.toString("hex")}/${keys[i]!.toString("hex")}`))
    .filter((e) => e !== undefined)
    .sort();
}

interface Scan {
  problems: string[];
  /** Records whose index entries differ from their `idx` column (repairable from the record). */
  badEntries: { collection: string; id: string; idx: string | null }[];
  /** Index entries whose record does not exist (repairable: deleted). */
  orphans: number;
}

/**
 * The adapter's invariants, read in one REPEATABLE READ snapshot: the schema version, the counter
 * against the change log (which must end at the counter and have no gap), every record's sequence
 * and revision, and every record's index entries against its `idx` column (exact bytes), plus
 * entries without a record. Values are not parsed here: core validated each before it was stored,
 * PostgreSQL checksums its pages, and a read of a value that does not parse fails with E_CORRUPT.
 */
async function scan(client: pg.ClientBase, schema: string): Promise<Scan> {
  const q = quoteIdent(schema);
  const problems: string[] = [];
  const version = Number((await client.query(`SELECT coalesce(max(version), 0) AS v FROM ${q}.statehouse_schema`)).rows[0].v);
  if (version !== CURRENT_VERSION) problems.push(`${q}.statehouse_schema: version ${version}, this adapter's is ${CURRENT_VERSION}`);
  const counterRows = (await client.query(`SELECT seq FROM ${q}.statehouse_counter`)).rows as { seq: string }[];
  if (counterRows.length !== 1) problems.push(`${q}.statehouse_counter: ${counterRows.length} rows, expected 1`);
  const counter = Number(counterRows[0]?.seq ?? 0);
  const log = (await client.query(`SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM ${q}.statehouse_changes`)).rows[0] as {
    n: string;
    lo: string | null;
    hi: string | null;
  };
  const n = Number(log.n);
  if (n > 0) {
    const lo = Number(log.lo);
    const hi = Number(log.hi);
    if (hi !== counter) problems.push(`${q}.statehouse_changes: ends at sequence ${hi}, the counter is at ${counter}`);
    if (hi - lo + 1 !== n) problems.push(`${q}.statehouse_changes: ${hi - lo + 1 - n} change sets missing between ${lo} and ${hi}`);
  } else if (counter > 0) {
    problems.push(`${q}.statehouse_changes: empty, but the counter is at ${counter} (the latest change set is always kept)`);
  }
  const bad = (
    await client.query(
      `SELECT collection, id, seq, revision FROM ${q}.statehouse_records
       WHERE seq < 1 OR seq > $1 OR revision < 1 ORDER BY collection, id LIMIT $2`,
      [counter, MAX_PROBLEMS],
    )
  ).rows as { collection: string; id: string; seq: string; revision: string }[];
  for (const r of bad) problems.push(`record ${r.collection}/${r.id}: sequence ${r.seq}, revision ${r.revision} (counter ${counter})`);
  const orphans = Number(
    (
      await client.query(
        `SELECT count(*) AS n FROM ${q}.statehouse_index_entries e
         WHERE NOT EXISTS (SELECT 1 FROM ${q}.statehouse_records r WHERE r.collection = e.collection AND r.id = e.id)`,
      )
    ).rows[0].n,
  );
  if (orphans > 0) problems.push(`${q}.statehouse_index_entries: ${orphans} entries of records that do not exist`);
  const badEntries: Scan["badEntries"] = [];
  let after = { collection: "", id: "" };
  for (;;) {
    const rows = (
      await client.query(
        `SELECT r.collection, r.id, r.idx, array_agg(e.name) AS names, array_agg(e.key) AS keys
         FROM ${q}.statehouse_records r
         LEFT JOIN ${q}.statehouse_index_entries e ON e.collection = r.collection AND e.id = r.id
         WHERE (r.collection, r.id) > ($1, $2)
         GROUP BY r.collection, r.id, r.idx ORDER BY r.collection, r.id LIMIT $3`,
        [after.collection, after.id, PAGE],
      )
    ).rows as EntryRow[];
    for (const row of rows) {
      let expected: string[];
      try {
        expected = expectedEntries(row.idx);
      } catch {
        problems.push(`record ${row.collection}/${row.id}: its index column is not JSON`);
        continue;
      }
      const actual = actualEntries(row);
      if (expected.length !== actual.length || expected.some((e, i) => e !== actual[i])) {
        badEntries.push({ collection: row.collection, id: row.id, idx: row.idx });
      }
    }
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    after = { collection: last.collection, id: last.id };
  }
  for (const r of badEntries.slice(0, MAX_PROBLEMS)) {
    problems.push(`record ${r.collection}/${r.id}: index entries differ from the record's index keys`);
  }
  if (badEntries.length > MAX_PROBLEMS) problems.push(`… and ${badEntries.length - MAX_PROBLEMS} more records with wrong index entries`);
  return { problems, badEntries, orphans };
}

async function inSnapshot<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    return await fn();
  } finally {
    await client.query("ROLLBACK");
  }
}

/**
 * `check()`: see scan(). With `repair`, index entries are rebuilt from the records (orphans deleted,
 * each wrong record's entries replaced), under the counter row's lock so that no commit interleaves;
 * the sequence, the change log and the records themselves are only reported (there is no second copy).
 */
export async function checkStore(client: pg.ClientBase, schema: string, repair: boolean, lockTimeoutMs: number): Promise<IntegrityReport> {
  let result = await inSnapshot(client, () => scan(client, schema));
  const repaired: string[] = [];
  if (repair && (result.orphans > 0 || result.badEntries.length > 0)) {
    const q = quoteIdent(schema);
    await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, lockTimeoutMs)}`);
    try {
      await client.query(`SELECT seq FROM ${q}.statehouse_counter FOR UPDATE`);
      // Found again under the lock: a commit between the scan and the lock may have changed them.
      const fresh = await scan(client, schema);
      const orphans = await client.query(
        `DELETE FROM ${q}.statehouse_index_entries e
         WHERE NOT EXISTS (SELECT 1 FROM ${q}.statehouse_records r WHERE r.collection = e.collection AND r.id = e.id)`,
      );
      if ((orphans.rowCount ?? 0) > 0) repaired.push(`deleted ${orphans.rowCount} index entries of records that do not exist`);
      for (const r of fresh.badEntries) {
        await client.query(`DELETE FROM ${q}.statehouse_index_entries WHERE collection = $1 AND id = $2`, [r.collection, r.id]);
        const index = r.idx === null ? {} : (JSON.parse(r.idx) as Record<string, string>);
        for (const [name, key] of Object.entries(index)) {
          await client.query(`INSERT INTO ${q}.statehouse_index_entries (collection, name, key, id) VALUES ($1, $2, $3, $4)`, [
            r.collection,
            encodeKey(name),
            encodeKey(key),
            r.id,
          ]);
        }
      }
      if (fresh.badEntries.length > 0) {
        repaired.push(`rebuilt the index entries of ${fresh.badEntries.length} records from their index keys`);
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
    result = await inSnapshot(client, () => scan(client, schema));
  }
  return { ok: result.problems.length === 0, problems: result.problems, repaired };
}
