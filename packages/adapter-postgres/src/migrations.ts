import { ConfigError, NotFoundError } from "@statehouse/core";
import type pg from "pg";
import { mapEngineError } from "./map-engine-error.js";
import { CURRENT_VERSION, migrations, quoteIdent } from "./schema.js";

const UNDEFINED_TABLE = "42P01";
const INVALID_SCHEMA = "3F000";

function newer(version: number, schema: string): ConfigError {
  return new ConfigError(
    `the store in schema ${schema} has schema version ${version}, made by a newer @statehouse/adapter-postgres (this one knows up to ${CURRENT_VERSION}): upgrade the adapter`,
    { details: { schema, version } },
  );
}

/** The applied version, or 0 when the schema or its version table does not exist yet. */
async function appliedVersion(client: pg.Pool | pg.PoolClient, q: string): Promise<number> {
  try {
    const r = await client.query(`SELECT coalesce(max(version), 0) AS v FROM ${q}.statehouse_schema`);
    return Number(r.rows[0].v);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === UNDEFINED_TABLE || code === INVALID_SCHEMA) return 0;
    throw err;
  }
}

/**
 * Brings the store's schema to CURRENT_VERSION. The common case (already current) is one read.
 * Otherwise one transaction takes an advisory lock named after the schema, reads the version
 * again and applies what is missing, so of many processes opening a new database at once exactly
 * one creates the tables and the others find them made.
 */
export async function migrate(pool: pg.Pool, schema: string, where: string, create = true): Promise<void> {
  const q = quoteIdent(schema);
  let version: number;
  try {
    version = await appliedVersion(pool, q);
  } catch (err) {
    throw mapEngineError(err, where, "reading the schema version");
  }
  if (version > CURRENT_VERSION) throw newer(version, schema);
  if (version === CURRENT_VERSION) return;
  // A schema never migrated is no store: a read (create: false) must not make one.
  if (!create && version === 0) {
    throw new NotFoundError(`no statehouse store at ${where}: nothing was created (a write creates it)`, { details: { location: where } });
  }
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw mapEngineError(err, where, "connecting");
  }
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`statehouse:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q}.statehouse_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = await appliedVersion(client, q);
    if (current > CURRENT_VERSION) throw newer(current, schema);
    const steps = migrations(schema);
    for (let v = current + 1; v <= CURRENT_VERSION; v++) {
      for (const sql of steps.get(v)!) await client.query(sql);
      await client.query(`INSERT INTO ${q}.statehouse_schema (version) VALUES ($1)`, [v]);
    }
    await client.query("COMMIT");
    client.release();
  } catch (err) {
    // A connection that failed mid-transaction is not given back to the pool.
    await client.query("ROLLBACK").catch(() => undefined);
    client.release(true);
    throw mapEngineError(err, where, "migrating the schema");
  }
}
