// A quick local measurement of the LMDB adapter against the performance goals (the benchmark
// harness does the real, repeated measurement). Run from the repository root after a build:
//   node packages/adapter-lmdb/scripts/measure.mjs [--sessions 100000] [--procs 25] [--incr 200] [--overlapping]
// (--overlapping: the concurrent increments use an environment with overlappingSync)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { open } from "@statehouse/core";
import { open as openLmdb } from "lmdb";
import { LmdbAdapter, verifyEnvironmentFile } from "../dist/index.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const SESSIONS = arg("sessions", 100_000);
const OVERLAPPING = process.argv.includes("--overlapping");
const PROCS = arg("procs", 25);
const INCR = arg("incr", 200);
const root = mkdtempSync(join(tmpdir(), "statehouse-lmdb-measure-"));
const doc1k = { title: "x".repeat(200), items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item ${i}`, done: i % 2 === 0 })) };
const results = {};

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
async function timeEach(n, f) {
  for (let i = 0; i < Math.min(200, n); i++) await f(i); // warm-up
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await f(i);
    t.push(Number(process.hrtime.bigint() - s) / 1000);
  }
  t.sort((a, b) => a - b);
  return { median: +percentile(t, 50).toFixed(2), p99: +percentile(t, 99).toFixed(2) };
}

// Floors: lmdb-js's own put awaited until flushed (its defaults: overlappingSync on Linux), and get.
// The flushed put and the strict writes are measured in interleaved blocks, so that a change in
// the machine's load affects them alike and their ratio stays meaningful.
{
  const raw = openLmdb({ path: join(root, "raw") });
  const db = raw.openDB({ name: "r" });
  const strict = await open(`lmdb:${join(root, "store-strict")}`, { durability: "strict" });
  const sdoc = strict.state("doc");
  await sdoc.replace(doc1k);
  const blocks = { raw: [], update: [], create: [] };
  for (let round = 0; round < 10; round++) {
    blocks.raw.push(
      await timeEach(200, async (i) => {
        await db.put(`k${i % 100}`, doc1k);
        await db.flushed;
      }),
    );
    blocks.update.push(await timeEach(200, (i) => sdoc.set("/n", i)));
    blocks.create.push(await timeEach(200, () => strict.sessions.create({ name: "s" })));
  }
  const med = (xs) => xs.map((x) => x.median).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  results["raw lmdb put awaited until flushed (µs, median of 10 interleaved blocks)"] = med(blocks.raw);
  results["strict: state update set /n (µs, same)"] = med(blocks.update);
  results["strict: session create (µs, same)"] = med(blocks.create);
  results["ratios to the raw put awaited until flushed"] = {
    strictUpdate: +(med(blocks.update) / med(blocks.raw)).toFixed(2),
    strictSessionCreate: +(med(blocks.create) / med(blocks.raw)).toFixed(2),
  };
  results["raw lmdb get (µs)"] = await timeEach(20000, () => db.get("k1"));
  await strict.close();
  await raw.close();
}

{
  const store = await open(`lmdb:${join(root, "store-relaxed")}`, { durability: "relaxed" });
  const doc = store.state("doc");
  await doc.replace(doc1k);
  results["relaxed: state update set /n (µs)"] = await timeEach(2000, (i) => doc.set("/n", i));
  results["relaxed: session create (µs)"] = await timeEach(2000, () => store.sessions.create({ name: "s" }));
  results["simple query on an unchanged 1 KB document: get('/items/3/name') (µs)"] = await timeEach(20000, () => doc.get("/items/3/name"));
  results["JSONPath query on an unchanged 1 KB document: $.items[3].name (µs)"] = await timeEach(20000, () => doc.query("$.items[3].name"));
  await store.close();
  const adapter = await LmdbAdapter.open(join(root, "spi"));
  await adapter.transact((tx) => tx.put("docs", "d", doc1k));
  results["SPI get of an unchanged 1 KB record (µs)"] = await timeEach(20000, () => adapter.get("docs", "d"));
  await adapter.close();
}

// Listing: the first page (50) of sessions filtered by status among SESSIONS.
{
  const path = join(root, "many");
  const store = await open(`lmdb:${path}`, { durability: "relaxed" });
  const t0 = Date.now();
  const ids = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = await store.sessions.create({ name: `session ${i}`, metadata: { n: i } });
    if (i % 4 === 0) ids.push(s.id);
  }
  for (const id of ids) await store.sessions.end(id, "completed");
  results[`setup: ${SESSIONS} sessions created, a quarter ended (s)`] = (Date.now() - t0) / 1000;
  results[`first page (50) of ${SESSIONS} sessions filtered by status (µs)`] = await timeEach(500, () =>
    store.sessions.list({ status: "completed", limit: 50 }),
  );
  await store.close();
  const file = join(path, "data.mdb");
  const t1 = process.hrtime.bigint();
  const problems = verifyEnvironmentFile(file);
  results[`structural verification of ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB data.mdb (ms)`] = {
    ms: Number(process.hrtime.bigint() - t1) / 1e6,
    problems: problems.length,
  };
}

// Disk per session at 10,000 sessions, after compaction.
{
  const path = join(root, "disk");
  const store = await open(`lmdb:${path}`, { durability: "relaxed" });
  for (let i = 0; i < 10_000; i++) await store.sessions.create({ name: `session ${i}`, metadata: { agent: "claude", n: i } });
  await store.close();
  const before = statSync(join(path, "data.mdb")).size;
  const a = await LmdbAdapter.open(path);
  await a.compact();
  await a.close();
  const after = statSync(join(path, "data.mdb")).size;
  results["disk per session at 10,000 sessions (bytes)"] = { beforeCompaction: before / 10_000, afterCompaction: after / 10_000 };
}

// 25 processes × 200 increments of one counter.
{
  const path = join(root, "counter");
  const store = await open(`lmdb:${path}`, { overlappingSync: OVERLAPPING });
  await store.state("counter").replace({ n: 0 });
  await store.close();
  const self = fileURLToPath(new URL("./increment-child.mjs", import.meta.url));
  const lat = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from(
      { length: PROCS },
      () =>
        new Promise((resolve, reject) => {
          const c = spawn(process.execPath, [self, path, String(INCR), JSON.stringify({ overlappingSync: OVERLAPPING })], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          c.stdout.on("data", (d) => {
            out += d;
          });
          c.on("close", (code) => {
            if (code !== 0) return reject(new Error(`child exited ${code}`));
            lat.push(...JSON.parse(out));
            resolve();
          });
        }),
    ),
  );
  lat.sort((a, b) => a - b);
  const check = await open(`lmdb:${path}`, { overlappingSync: OVERLAPPING });
  results[`${PROCS} processes × ${INCR} increments (strict${OVERLAPPING ? ", overlappingSync" : ""})`] = {
    final: (await check.state("counter").get()).n,
    expected: PROCS * INCR,
    p50ms: +percentile(lat, 50).toFixed(2),
    p99ms: +percentile(lat, 99).toFixed(2),
    wallSeconds: (Date.now() - t0) / 1000,
  };
  await check.close();
}

results.loadAverage = (await import("node:os")).loadavg().map((l) => +l.toFixed(1));
rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify(results, null, 2));
