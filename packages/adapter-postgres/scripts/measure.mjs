// Measures the design decisions recorded in the README, on a throwaway server it starts:
//   node packages/adapter-postgres/scripts/measure.mjs [--quick]
// Prints medians (µs) per operation. Needs the package built (pnpm --filter @statehouse/adapter-postgres build).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PostgresAdapter } from "@statehouse/adapter-postgres";
import { startTestServer } from "@statehouse/adapter-postgres/testing";
import pg from "pg";
import postgresJs from "postgres";

const QUICK = process.argv.includes("--quick");
const N = QUICK ? 300 : 2000;
const now = () => Number(process.hrtime.bigint()) / 1000;

async function median(label, n, fn) {
  for (let i = 0; i < Math.min(100, n); i++) await fn(i);
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await fn(i);
    t.push(now() - t0);
  }
  t.sort((a, b) => a - b);
  const m = t[Math.floor(t.length / 2)];
  console.log(`${label.padEnd(62)} median ${m.toFixed(0).padStart(6)} µs   p90 ${t[Math.floor(t.length * 0.9)].toFixed(0).padStart(6)} µs`);
  return m;
}

const server = startTestServer();
const results = {};
try {
  const cfg = { host: server.socketDir, port: server.port, user: "postgres", database: "postgres" };
  const raw = new pg.Client(cfg);
  await raw.connect();
  await raw.query("CREATE TABLE raw_kv (id text PRIMARY KEY, seq bigint, value text)");
  await raw.query("CREATE TABLE raw_counter (one boolean PRIMARY KEY, seq bigint)");
  await raw.query("INSERT INTO raw_counter VALUES (true, 0)");
  await raw.query("CREATE TABLE raw_changes (seq bigint PRIMARY KEY, at bigint, entries text)");
  const value = JSON.stringify({ status: "active", title: "a session of an agent run", n: 1, tags: ["a", "b"], pad: "x".repeat(120) });
  await raw.query("INSERT INTO raw_kv SELECT 'k' || g, 0, $1 FROM generate_series(0, 999) g", [value]);

  console.log("— floors (node-postgres, one connection, unix socket)");
  results.rawGet = await median("raw pg: SELECT by primary key (prepared)", N, (i) =>
    raw.query({ name: "g", text: "SELECT value FROM raw_kv WHERE id = $1", values: [`k${i % 1000}`] }));
  const rawTx = async (c, i) => {
    await c.query("BEGIN");
    const s = await c.query({ name: "c", text: "UPDATE raw_counter SET seq = seq + 1 RETURNING seq" });
    const seq = s.rows[0].seq;
    await c.query({ name: "u", text: "INSERT INTO raw_kv VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = $2, value = $3", values: [`k${i % 1000}`, seq, value] });
    await c.query({ name: "ch", text: "INSERT INTO raw_changes VALUES ($1, 0, $2)", values: [seq, "[]"] });
    await c.query("COMMIT");
  };
  results.rawTx = await median("raw pg: BEGIN; counter; upsert; change row; COMMIT (strict)", N, (i) => rawTx(raw, i));

  console.log("— client: postgres.js on the same socket");
  const sql = postgresJs({ path: `${server.socketDir}/.s.PGSQL.${server.port}`, user: "postgres", database: "postgres", max: 1 });
  results.jsGet = await median("postgres.js: SELECT by primary key (prepared)", N, (i) => sql`SELECT value FROM raw_kv WHERE id = ${`k${i % 1000}`}`);
  results.jsTx = await median("postgres.js: BEGIN; counter; upsert; change row; COMMIT", N, (i) =>
    sql.begin(async (t) => {
      const [{ seq }] = await t`UPDATE raw_counter SET seq = seq + 1 RETURNING seq`;
      await t`INSERT INTO raw_kv VALUES (${`k${i % 1000}`}, ${seq}, ${value}) ON CONFLICT (id) DO UPDATE SET seq = ${seq}, value = ${value}`;
      await t`INSERT INTO raw_changes VALUES (${seq}, 0, '[]')`;
    }));
  await sql.end();

  console.log("— the adapter (its own pool, same socket)");
  const url = server.url("postgres", { schema: "bench" });
  const a = await PostgresAdapter.open(url);
  await a.transact((tx) => {
    for (let i = 0; i < 1000; i++) tx.put("c", `k${i}`, JSON.parse(value));
  });
  results.get = await median("adapter get (record unchanged since last read: no value sent)", N, (i) => a.get("c", `k${i % 1000}`));
  const cold = await PostgresAdapter.open(url, { cacheEntries: 0 });
  results.getCold = await median("adapter get, cacheEntries 0 (value sent and parsed)", N, (i) => cold.get("c", `k${i % 1000}`));
  const doc = JSON.parse(value);
  results.write = await median("adapter one-record strict write (read-modify-write)", N, (i) =>
    a.transact((tx) => {
      const r = tx.get("c", `k${i % 1000}`);
      tx.put("c", `k${i % 1000}`, { ...doc, n: (r?.value.n ?? 0) + 1 });
    }));
  results.writeCold = await median("adapter one-record strict write, cacheEntries 0 (fetch + commit)", N, (i) =>
    cold.transact((tx) => {
      const r = tx.get("c", `k${i % 1000}`);
      tx.put("c", `k${i % 1000}`, { ...doc, n: (r?.value.n ?? 0) + 1 });
    }));
  const relaxed = await PostgresAdapter.open(url, { durability: "relaxed" });
  results.writeRelaxed = await median("adapter one-record relaxed write", N, (i) =>
    relaxed.transact((tx) => {
      const r = tx.get("c", `k${i % 1000}`);
      tx.put("c", `k${i % 1000}`, { ...doc, n: (r?.value.n ?? 0) + 1 });
    }));
  await cold.close();
  await relaxed.close();

  console.log("— isolation: 8 clients × 100 increments of one hot record");
  const hot = async (label, inc) => {
    const t0 = Date.now();
    const stats = { retries: 0 };
    await Promise.all(Array.from({ length: 8 }, (_, w) => inc(w, stats)));
    const ms = Date.now() - t0;
    console.log(`${label.padEnd(62)} ${ms} ms for 800 (${((800 / ms) * 1000).toFixed(0)}/s), ${stats.retries} retries`);
    return { ms, retries: stats.retries };
  };
  results.hotAdapter = await hot("adapter (counter row + read-set check, one statement)", async () => {
    const w = await PostgresAdapter.open(url, { poolSize: 1 });
    for (let i = 0; i < 100; i++) {
      await w.transact((tx) => {
        const r = tx.get("c", "hot");
        tx.put("c", "hot", { n: (r?.value.n ?? 0) + 1 });
      });
    }
    await w.close();
  });
  await raw.query("INSERT INTO raw_kv VALUES ('hot', 0, '0')");
  results.hotSerializable = await hot("SERIALIZABLE with retry (SELECT; counter; upsert; change row)", async (_w, stats) => {
    const c = new pg.Client(cfg);
    await c.connect();
    for (let i = 0; i < 100; ) {
      try {
        await c.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
        const r = await c.query({ name: "r", text: "SELECT value FROM raw_kv WHERE id = 'hot'" });
        const s = await c.query({ name: "c", text: "UPDATE raw_counter SET seq = seq + 1 RETURNING seq" });
        await c.query({ name: "w", text: "UPDATE raw_kv SET seq = $1, value = $2 WHERE id = 'hot'", values: [s.rows[0].seq, String(Number(r.rows[0].value) + 1)] });
        await c.query({ name: "ch", text: "INSERT INTO raw_changes VALUES ($1, 0, $2)", values: [s.rows[0].seq, "[]"] });
        await c.query("COMMIT");
        i++;
      } catch (err) {
        await c.query("ROLLBACK");
        if (err.code !== "40001" && err.code !== "40P01") throw err;
        stats.retries++;
      }
    }
    await c.end();
  });
  const hotValue = (await a.get("c", "hot")).value.n;
  const rawHot = (await raw.query("SELECT value FROM raw_kv WHERE id = 'hot'")).rows[0].value;
  console.log(`  final counts: adapter ${hotValue}, serializable ${rawHot}`);
  await raw.query("DROP TABLE raw_changes; CREATE TABLE raw_changes (seq bigint PRIMARY KEY, at bigint, entries text)");

  console.log("— 25 processes × 200 increments of one record, each process its own pool");
  {
    const script = fileURLToPath(new URL("./increment-child.mjs", import.meta.url));
    const t0 = Date.now();
    const procs = Array.from({ length: 25 }, () => new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [script, url, QUICK ? "40" : "200"], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      c.stdout.on("data", (d) => (out += d));
      c.on("close", (code) => (code === 0 && out === "done\n" ? resolve() : reject(new Error(`child exited ${code}: ${out}`))));
    }));
    await Promise.all(procs);
    const n = (await a.get("counters", "shared")).value.n;
    const expected = 25 * (QUICK ? 40 : 200);
    results.multi = { ms: Date.now() - t0, n, expected };
    console.log(`  ${n} of ${expected} increments present (${n === expected ? "exact" : "LOST UPDATES"}), ${Date.now() - t0} ms incl. process start`);
  }

  console.log("— first page of 50 among 100,000 sessions by status");
  {
    const statuses = ["active", "completed", "failed", "cancelled"];
    for (let b = 0; b < 100; b++) {
      await a.transact((tx) => {
        for (let i = 0; i < 1000; i++) {
          const n = b * 1000 + i;
          const status = statuses[n % 4];
          tx.put("sessions", `s${String(n).padStart(6, "0")}`, { status, n }, { index: { status: `${status}\u0000${String(1e6 - n).padStart(7, "0")}` } });
        }
      });
    }
    await raw.query("ANALYZE");
    results.page = await median("list index status prefix 'active\\0', limit 50", QUICK ? 50 : 300, () =>
      a.list("sessions", { index: "status", prefix: "active\u0000", limit: 50 }));
    const count = await a.count("sessions", { index: "status", prefix: "active\u0000" });
    console.log(`  (${count} active sessions of 100,000)`);
  }
  await a.close();
  await raw.end();
  console.log("— ratios");
  console.log(`  get / raw SELECT: ${(results.get / results.rawGet).toFixed(2)} (cold ${(results.getCold / results.rawGet).toFixed(2)})`);
  console.log(`  strict write / raw transaction: ${(results.write / results.rawTx).toFixed(2)} (cold ${(results.writeCold / results.rawTx).toFixed(2)})`);
  console.log(`  postgres.js / pg: get ${(results.jsGet / results.rawGet).toFixed(2)}, transaction ${(results.jsTx / results.rawTx).toFixed(2)}`);
  console.log(JSON.stringify(results));
} finally {
  server.stop();
}
