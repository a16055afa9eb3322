/**
 * The schema, by version. Every statement names its tables through `q` (the quoted schema), so one
 * database can hold many stores. Applied by migrations.ts under an advisory lock.
 */

export const CURRENT_VERSION = 1;

/** The single statement a writing transaction commits with; see README ("Transactions"). */
function commitFunction(q: string, schema: string): string {
  return `CREATE FUNCTION ${q}.statehouse_commit(
  p_token text, p_retry boolean, p_sync boolean, p_lock_ms integer, p_retention bigint,
  r_col text[], r_id text[], r_seq bigint[],
  w_type text[], w_col text[], w_id text[], w_rev bigint[], w_idx text[], w_val text[],
  e_pos integer[], e_name bytea[], e_key bytea[], p_entries text
) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  v_seq bigint;
  v_prev bigint;
  v_old text;
  v_found boolean;
BEGIN
  IF NOT p_sync THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  PERFORM set_config('lock_timeout', p_lock_ms::text || 'ms', true);
  -- The counter row first: writers queue here, and a READ COMMITTED statement that waited for the
  -- lock continues on the newest version, so sequences are gapless and in commit order.
  UPDATE ${q}.statehouse_counter SET seq = seq + 1 RETURNING seq INTO v_seq;
  -- After a commit whose outcome was lost with the connection: did it land?
  IF p_retry THEN
    SELECT seq INTO v_prev FROM ${q}.statehouse_changes WHERE token = p_token;
    IF FOUND THEN RAISE EXCEPTION '%', v_prev USING ERRCODE = 'SH200'; END IF;
  END IF;
  -- The read set, keys read as absent included (expected seq 0): every later statement of this
  -- function sees what committed before the counter lock was granted, and no writer can commit
  -- until this one does.
  IF EXISTS (
    SELECT 1 FROM unnest(r_col, r_id, r_seq) AS r(c, i, s)
    LEFT JOIN ${q}.statehouse_records AS rec ON rec.collection = r.c AND rec.id = r.i
    WHERE coalesce(rec.seq, 0) <> r.s
  ) THEN
    RAISE EXCEPTION 'read set changed' USING ERRCODE = 'SH409';
  END IF;
  FOR n IN 1 .. coalesce(array_length(w_type, 1), 0) LOOP
    SELECT idx, true INTO v_old, v_found FROM ${q}.statehouse_records WHERE collection = w_col[n] AND id = w_id[n];
    IF w_type[n] = 'd' THEN
      DELETE FROM ${q}.statehouse_records WHERE collection = w_col[n] AND id = w_id[n];
      IF v_old IS NOT NULL THEN DELETE FROM ${q}.statehouse_index_entries WHERE collection = w_col[n] AND id = w_id[n]; END IF;
    ELSE
      IF v_found THEN
        UPDATE ${q}.statehouse_records SET seq = v_seq, revision = w_rev[n], idx = w_idx[n], value = w_val[n]
          WHERE collection = w_col[n] AND id = w_id[n];
      ELSE
        INSERT INTO ${q}.statehouse_records (collection, id, seq, revision, idx, value)
          VALUES (w_col[n], w_id[n], v_seq, w_rev[n], w_idx[n], w_val[n]);
      END IF;
      IF v_old IS DISTINCT FROM w_idx[n] THEN
        IF v_old IS NOT NULL THEN DELETE FROM ${q}.statehouse_index_entries WHERE collection = w_col[n] AND id = w_id[n]; END IF;
        INSERT INTO ${q}.statehouse_index_entries (collection, name, key, id)
          SELECT w_col[n], e.nm, e.k, w_id[n] FROM unnest(e_pos, e_name, e_key) AS e(p, nm, k) WHERE e.p = n;
      END IF;
    END IF;
    v_old := NULL;
    v_found := false;
  END LOOP;
  INSERT INTO ${q}.statehouse_changes (seq, at, token, entries)
    VALUES (v_seq, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, p_token, p_entries);
  -- Retention in batches: every 64th commit deletes at most 1,000 of the oldest change sets.
  IF v_seq % 64 = 0 AND v_seq > p_retention THEN
    DELETE FROM ${q}.statehouse_changes WHERE seq IN (
      SELECT seq FROM ${q}.statehouse_changes WHERE seq <= v_seq - p_retention ORDER BY seq LIMIT 1000);
  END IF;
  -- A wake-up for listeners only: they read changes() from their last sequence.
  PERFORM pg_notify('statehouse_changes', '${schema}:' || v_seq::text);
  RETURN v_seq;
END
$fn$`;
}

/** MIGRATIONS[v] takes the schema from version v - 1 to v. */
export function migrations(schema: string): ReadonlyMap<number, readonly string[]> {
  const q = quoteIdent(schema);
  return new Map([
    [
      1,
      [
        `CREATE TABLE ${q}.statehouse_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL)`,
        `INSERT INTO ${q}.statehouse_counter (seq) VALUES (0)`,
        // Values as the exact JSON text core validated (not JSONB, which reorders keys and refuses
        // \\u0000); ids in "C" collation, so their order is byte order.
        `CREATE TABLE ${q}.statehouse_records (
          collection text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
          seq bigint NOT NULL, revision bigint NOT NULL, idx text, value text NOT NULL,
          PRIMARY KEY (collection, id))`,
        // Index names and keys in core's key-codec order-preserving bytes: bytea compares as memcmp.
        `CREATE TABLE ${q}.statehouse_index_entries (
          collection text COLLATE "C" NOT NULL, name bytea NOT NULL, key bytea NOT NULL, id text COLLATE "C" NOT NULL,
          PRIMARY KEY (collection, name, key, id))`,
        `CREATE INDEX statehouse_index_entries_by_record ON ${q}.statehouse_index_entries (collection, id)`,
        `CREATE TABLE ${q}.statehouse_changes (seq bigint PRIMARY KEY, at bigint NOT NULL, token text NOT NULL, entries text NOT NULL)`,
        commitFunction(q, schema),
      ],
    ],
  ]);
}

/** A schema name as an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
