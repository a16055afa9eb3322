import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { type PgTestTarget, TEMPLATE, clientConfig, withDatabase } from "./target.js";

export { clientConfig, withDatabase } from "./target.js";

/** The server the global setup started (or STATEHOUSE_PG_URL), or why there is none. */
export function pgTarget(): PgTestTarget {
  return inject("pg");
}

/** Non-empty when the PostgreSQL tests must skip: the reason, for the skip's title. */
export function skipReason(): string | undefined {
  return pgTarget().skip;
}

/** Runs one statement on the maintenance database. */
export async function adminQuery(sql: string, url = pgTarget().adminUrl!): Promise<pg.QueryResult> {
  const client = new pg.Client(clientConfig(url));
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database for one test file: a copy of the migrated template (or empty, when asked). */
export async function createTestDatabase(
  options: { empty?: boolean } = {},
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const adminUrl = pgTarget().adminUrl!;
  const name = `t_${randomBytes(6).toString("hex")}`;
  await adminQuery(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
