import { quoteIdent } from "./schema.js";

/** A named, parameterised statement: node-postgres prepares it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export interface Statements {
  readonly get: Statement;
  readonly fetch: Statement;
  readonly listById: Statement;
  readonly listByIdReverse: Statement;
  readonly listByIndex: Statement;
  readonly listByIndexReverse: Statement;
  readonly countById: Statement;
  readonly countByIndex: Statement;
  readonly changes: Statement;
  readonly sequence: Statement;
  readonly committedToken: Statement;
  readonly commit: Statement;
  readonly lockCounter: Statement;
  /** The fetch's text with the given argument expressions (three arrays: collections, ids, seqs). */
  readonly fetchText: (cols: string, ids: string, seqs: string) => string;
  /** The commit's text with the given argument expressions (the 18 of statehouse_commit, in order). */
  readonly commitText: (args: readonly string[]) => string;
}

/** Row of a record as every reading statement returns it (bigints arrive as strings). */
export interface RecordRow {
  id: string;
  seq: string;
  revision: string;
  /** NULL when the caller already holds this seq of the record. */
  value: string | null;
}

const RECORD_COLUMNS = "r.id, r.seq, r.revision, r.value";

export function statements(schema: string): Statements {
  const q = quoteIdent(schema);
  const records = `${q}.statehouse_records`;
  const entries = `${q}.statehouse_index_entries`;
  // Statement names are per connection, and a pool may serve several schemas.
  const named = (name: string, text: string): Statement => ({ name: `sh_${schema}_${name}`.slice(0, 63), text });
  // The fetch and the commit also go, with literal arguments, into the counter-locked transaction's
  // multi-statement messages (see PostgresAdapter.locked()): one text for both forms.
  const fetchText = (cols: string, ids: string, seqs: string) =>
    `SELECT k.c AS collection, r.id, r.seq, r.revision, CASE WHEN r.seq = k.s THEN NULL ELSE r.value END AS value
       FROM unnest(${cols}, ${ids}, ${seqs}) AS k(c, i, s)
       JOIN ${records} r ON r.collection = k.c AND r.id = k.i`;
  const commitText = (args: readonly string[]) => `SELECT ${q}.statehouse_commit(${args.join(", ")}) AS seq`;
  return {
    // A record this process already holds at the same seq comes back without its value: nothing
    // to transfer or parse (a large document is parsed once, not at every read).
    get: named(
      "get",
      `SELECT r.id, r.seq, r.revision, CASE WHEN r.seq = $3 THEN NULL ELSE r.value END AS value
       FROM ${records} r WHERE r.collection = $1 AND r.id = $2`,
    ),
    fetch: named("fetch", fetchText("$1::text[]", "$2::text[]", "$3::bigint[]")),
    fetchText,
    listById: named(
      "list_id",
      `SELECT ${RECORD_COLUMNS} FROM ${records} r WHERE r.collection = $1 AND r.id >= $2 AND r.id < $3 AND r.id > $4
       ORDER BY r.id LIMIT $5`,
    ),
    listByIdReverse: named(
      "list_id_rev",
      `SELECT ${RECORD_COLUMNS} FROM ${records} r WHERE r.collection = $1 AND r.id >= $2 AND r.id < $3 AND r.id < $4
       ORDER BY r.id DESC LIMIT $5`,
    ),
    listByIndex: named(
      "list_ix",
      `SELECT e.key, ${RECORD_COLUMNS} FROM ${entries} e JOIN ${records} r ON r.collection = e.collection AND r.id = e.id
       WHERE e.collection = $1 AND e.name = $2 AND (e.key, e.id) > ($3, $4) AND e.key < $5
       ORDER BY e.key, e.id LIMIT $6`,
    ),
    listByIndexReverse: named(
      "list_ix_rev",
      `SELECT e.key, ${RECORD_COLUMNS} FROM ${entries} e JOIN ${records} r ON r.collection = e.collection AND r.id = e.id
       WHERE e.collection = $1 AND e.name = $2 AND (e.key, e.id) < ($3, $4) AND e.key >= $5
       ORDER BY e.key DESC, e.id DESC LIMIT $6`,
    ),
    countById: named("count_id", `SELECT count(*) AS n FROM ${records} WHERE collection = $1 AND id >= $2 AND id < $3`),
    countByIndex: named("count_ix", `SELECT count(*) AS n FROM ${entries} WHERE collection = $1 AND name = $2 AND key >= $3 AND key < $4`),
    changes: named("changes", `SELECT seq, at, entries FROM ${q}.statehouse_changes WHERE seq > $1 ORDER BY seq LIMIT $2`),
    sequence: named("sequence", `SELECT seq FROM ${q}.statehouse_counter`),
    committedToken: named("token_seq", `SELECT seq FROM ${q}.statehouse_changes WHERE token = $1`),
    lockCounter: named("lock", `SELECT seq FROM ${q}.statehouse_counter FOR UPDATE`),
    commit: named("commit", commitText(Array.from({ length: 18 }, (_, i) => `$${i + 1}`))),
    commitText,
  };
}
