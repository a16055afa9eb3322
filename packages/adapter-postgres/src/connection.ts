import { ConfigError } from "@statehouse/core";
import pg from "pg";
import type { ResolvedPostgresOptions } from "./options.js";

export interface ConnectionTarget {
  readonly config: pg.PoolConfig;
  /** The schema named by the URL's `schema` parameter, if any. */
  readonly schema: string | undefined;
  /** The URL without its password, for messages. */
  readonly display: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function validateSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`postgres adapter: schema must match ${SCHEMA_NAME}, got ${JSON.stringify(schema)}`, { details: { schema } });
  }
  return schema;
}

/**
 * Parses `postgres://user:password@host:port/database?schema=…` and the unix-socket form
 * `postgres:///database?host=/socket/dir&port=5432`. Parameters other than host, port, user,
 * password, schema and application_name are refused rather than silently ignored.
 */
export function parseConnectionUrl(location: string): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new ConfigError(`invalid PostgreSQL URL ${JSON.stringify(location.replace(/:[^:@/]*@/, ":***@"))}`, { details: {} });
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`a PostgreSQL URL starts with postgres:// or postgresql://, got ${url.protocol}`, { details: {} });
  }
  const config: pg.PoolConfig = {};
  if (url.hostname !== "") config.host = decodeURIComponent(url.hostname);
  if (url.port !== "") config.port = Number(url.port);
  if (url.username !== "") config.user = decodeURIComponent(url.username);
  if (url.password !== "") config.password = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (database !== "") config.database = database;
  let schema: string | undefined;
  for (const [key, value] of url.searchParams) {
    switch (key) {
      case "host":
        config.host = value;
        break;
      case "port":
        if (!/^\d{1,5}$/.test(value)) throw new ConfigError(`postgres adapter: invalid port ${JSON.stringify(value)}`, { details: {} });
        config.port = Number(value);
        break;
      case "user":
        config.user = value;
        break;
      case "password":
        config.password = value;
        break;
      case "schema":
        schema = validateSchemaName(value);
        break;
      case "application_name":
        config.application_name = value;
        break;
      default:
        throw new ConfigError(`postgres adapter: unknown URL parameter ${JSON.stringify(key)}`, { details: { parameter: key } });
    }
  }
  const display = `postgres://${config.user ?? ""}@${config.host ?? "localhost"}:${config.port ?? 5432}/${config.database ?? ""}`;
  return { config, schema, display };
}

/** The adapter's own pool: session limits set at connect, idle connections dropped quietly. */
export function createPool(target: ConnectionTarget, options: ResolvedPostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    application_name: "statehouse",
    ...target.config,
    max: options.poolSize,
    connectionTimeoutMillis: Math.max(1000, options.lockTimeoutMs),
    idleTimeoutMillis: options.idleTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
  });
  // The server may close an idle connection (restart, idle_session_timeout, a proxy): the pool
  // then drops that client and emits 'error', which without a listener would end the process.
  pool.on("error", () => undefined);
  // The pool listens only to idle clients. A checked-out client whose server goes away emits
  // 'error' as well as failing its query (pg's Client does both), and that second report would
  // end the process: the failed query already carries the error to the caller, so drop the event.
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
  });
  return pool;
}
