import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { ConfigError } from "@statehouse/core";
import type pg from "pg";
import type { AdapterProvision } from "./adapter-provision.js";

/**
 * The PostgreSQL server of a benchmark run, as children see it: set by {@link provisionPostgres}
 * in the parent (children inherit the environment), so every job of the run uses one server.
 */
export const BENCH_PG_ENV = "STATEHOUSE_BENCH_PG_URL";

/**
 * Finds the server of the run: `STATEHOUSE_PG_URL` when set, else a throwaway server started with
 * `@statehouse/adapter-postgres/testing` (a cluster in a temp dir, unix socket only, fsync on) and
 * stopped by `release()`. Where none can be started, the reason: the postgres rows are skipped.
 */
export async function provisionPostgres(): Promise<AdapterProvision> {
  const external = process.env.STATEHOUSE_PG_URL;
  if (external !== undefined && external !== "") {
    process.env[BENCH_PG_ENV] = external;
    return { release: async () => undefined };
  }
  const { startTestServer } = await import("@statehouse/adapter-postgres/testing");
  try {
    const server = startTestServer();
    process.env[BENCH_PG_ENV] = server.url("postgres");
    return {
      release: async () => {
        delete process.env[BENCH_PG_ENV];
        server.stop();
      },
    };
  } catch (err) {
    return { skip: `no PostgreSQL server could be started: ${(err as Error).message.split("\n")[0]}` };
  }
}

function serverUrl(): string {
  const url = process.env[BENCH_PG_ENV];
  if (url === undefined || url === "") {
    throw new ConfigError(`${BENCH_PG_ENV} is not set: the postgres adapter was not provisioned for this run`);
  }
  return url;
}

/** One schema per job directory: a fresh store in the run's one database, named from the directory. */
export function schemaFor(dir: string): string {
  return `bench_${createHash("sha256").update(dir).digest("hex").slice(0, 24)}`;
}

/** The store URL of a job: the run's server, the job's own schema. */
export function postgresStoreUrl(dir: string): string {
  const u = new URL(serverUrl());
  u.searchParams.set("schema", schemaFor(dir));
  return u.toString();
}

/** A node-postgres config from a statehouse PostgreSQL URL (the socket directory in `?host=`). */
export function clientConfig(url: string): pg.ClientConfig {
  const u = new URL(url);
  const q = u.searchParams;
  const config: pg.ClientConfig = {};
  const host = q.get("host") ?? (u.hostname === "" ? undefined : decodeURIComponent(u.hostname));
  const port = q.get("port") ?? (u.port === "" ? undefined : u.port);
  const user = q.get("user") ?? (u.username === "" ? undefined : decodeURIComponent(u.username));
  const password = q.get("password") ?? (u.password === "" ? undefined : decodeURIComponent(u.password));
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (host !== undefined) config.host = host;
  if (port !== undefined) config.port = Number(port);
  if (user !== undefined) config.user = user;
  if (password !== undefined) config.password = password;
  if (database !== "") config.database = database;
  return config;
}

/** A connected client on the run's server, with the 'error' listener a server crash needs. */
export async function connectRaw(): Promise<pg.Client> {
  // Loaded on first use (the report renderer and other adapters' children never need it), and
  // through require: an ESM import of pg in the harness's parent failed to resolve pg's own
  // dependencies after some jobs (a symlinked path kept instead of its real one).
  const pgModule = createRequire(import.meta.url)("pg") as typeof pg;
  const client = new pgModule.Client(clientConfig(serverUrl()));
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Drops a job's schema, so a run against a long-lived server (STATEHOUSE_PG_URL) leaves nothing behind. */
export async function dropPostgresStore(dir: string): Promise<void> {
  if (process.env[BENCH_PG_ENV] === undefined) return;
  const client = await connectRaw();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schemaFor(dir)} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * The floors' names: a raw SELECT by primary key and the raw commit the adapter's write is held to
 * (the goal's floor), then a second, labelled commit floor with the rows a document write with
 * history also writes (see {@link PgFloors.commitWithHistory}); no adapter row is compared with it
 * automatically: the adapter's README states both ratios.
 */
export const PG_FLOOR_NAMES = [
  "pg-select",
  "pg-commit-strict",
  "pg-commit-relaxed",
  "pg-commit-history-strict",
  "pg-commit-history-relaxed",
] as const;

/** Revisions of a document a history keeps (core's default history limit). */
const HISTORY_KEPT = 20;

export interface PgFloors {
  /** `SELECT value FROM kv WHERE id = $1`, prepared, on one connection. */
  select(): Promise<unknown>;
  /** BEGIN; counter + 1; upsert of the value; change row; COMMIT, with synchronous_commit on or off. */
  commit(strict: boolean): Promise<unknown>;
  /**
   * The same, plus the rows core's document write with history writes in its transaction: the
   * previous value as a history row, the history meta row (the kept revisions' list) replaced, and
   * the revision that fell out of the kept 20 deleted. One prepared statement per round trip, as
   * in commit().
   */
  commitWithHistory(strict: boolean): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The raw node-postgres work the adapter's rows are compared with, on the same server and socket,
 * in a schema of its own: what the adapter does for a get and a one-record write, done by hand with
 * the fewest statements a correct commit needs (gapless counter, upsert, change row).
 */
export async function openPgFloors(dir: string, texts: readonly string[]): Promise<PgFloors> {
  const schema = `${schemaFor(dir)}_floor`;
  const c = await connectRaw();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
  await c.query('CREATE TABLE kv (id text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL, value text NOT NULL)');
  await c.query("CREATE TABLE counter (one boolean PRIMARY KEY, seq bigint NOT NULL)");
  await c.query("INSERT INTO counter VALUES (true, 0)");
  await c.query("CREATE TABLE changes (seq bigint PRIMARY KEY, at bigint NOT NULL, entries text NOT NULL)");
  await c.query("INSERT INTO kv VALUES ('global', 0, $1)", [texts[0]]);
  // History rows in a table of their own: core keeps them in the records table, which makes no
  // difference to the work (one more row and its primary-key entry per write).
  await c.query('CREATE TABLE history (id text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL, value text NOT NULL)');
  let i = 0;
  const write = async (strict: boolean, extra?: (seq: string) => Promise<void>): Promise<void> => {
    await c.query(strict ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit = off");
    try {
      const s = await c.query({ name: "floor_counter", text: "UPDATE counter SET seq = seq + 1 RETURNING seq" });
      const seq = s.rows[0].seq as string;
      await c.query({
        name: "floor_upsert",
        text: "INSERT INTO kv VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = $2, value = $3",
        values: ["global", seq, texts[i++ & 1]],
      });
      await extra?.(seq);
      const entries = '[["p","state","global",1]]';
      await c.query({ name: "floor_change", text: "INSERT INTO changes VALUES ($1, 0, $2)", values: [seq, entries] });
      await c.query("COMMIT");
    } catch (err) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  };
  // A meta row of the size core's is with 20 kept revisions.
  const at = new Date(0).toISOString();
  const meta = JSON.stringify({
    collection: "state",
    document: "global",
    revision: 1,
    at,
    size: texts[0]!.length,
    entries: Array.from({ length: HISTORY_KEPT }, (_, r) => ({ revision: r + 1, at, size: texts[0]!.length })),
  });
  const history = async (seq: string): Promise<void> => {
    const n = Number(seq);
    await c.query({
      name: "floor_history",
      text: "INSERT INTO history VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = $2, value = $3",
      values: [`g.global@${n}`, seq, texts[i & 1]],
    });
    await c.query({
      name: "floor_meta",
      text: "INSERT INTO history VALUES ('g.global', $1, $2) ON CONFLICT (id) DO UPDATE SET seq = $1, value = $2",
      values: [seq, meta],
    });
    await c.query({ name: "floor_trim", text: "DELETE FROM history WHERE id = $1", values: [`g.global@${n - HISTORY_KEPT}`] });
  };
  return {
    select: () => c.query({ name: "floor_select", text: "SELECT value FROM kv WHERE id = $1", values: ["global"] }),
    commit: (strict) => write(strict),
    commitWithHistory: (strict) => write(strict, history),
    async close() {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await c.end();
    },
  };
}
