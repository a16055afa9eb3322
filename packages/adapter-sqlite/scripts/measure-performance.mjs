// Quick local measurements against the issue's performance goals (the benchmark harness is the
// real judge). Run from the repo root after building:
//   node packages/adapter-sqlite/scripts/measure-performance.mjs [--skip-processes | --only-processes]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { SqliteAdapter } from "../dist/index.js";

const dir = mkdtempSync(join(tmpdir(), "sh-sqlite-perf-"));
const results = [];
const report = (name, value, unit, goal) => {
  results.push({ name, value: Math.round(value * 100) / 100, unit, goal });
  console.log(`${name}: ${Math.round(value * 100) / 100} ${unit}${goal ? `   (goal ${goal})` : ""}`);
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
}
/** Median per-operation time in µs over n timed calls (the benchmark harness judges medians). */
async function medianUs(n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(times);
}
/** Median of 5 batches' medians, µs per op. */
async function measure(n, fn) {
  const runs = [];
  for (let r = 0; r < 5; r++) runs.push(await medianUs(n, fn));
  return median(runs);
}

function doc1k(i) {
  const o = { i, status: "active", tags: [], notes: {} };
  for (let k = 0; k < 10; k++) o.tags.push(`tag-${k}-${i}`);
  for (let k = 0; k < 8; k++) o.notes[`k${k}`] = { at: 1_700_000_000_000 + k, text: `note ${k} of ${i}`, ok: true };
  return o;
}
function session(i) {
  const status = ["active", "completed", "failed", "cancelled"][i % 4];
  const at = new Date(1_700_000_000_000 + i * 1000).toISOString();
  return {
    value: { id: `sess-${String(i).padStart(8, "0")}`, name: `session ${i}`, status, createdAt: at, updatedAt: at, endedAt: null, metadata: { agent: "claude", cwd: "/home/user/project" }, project: "demo" },
    index: { status: `${status}\u0000${at}`, createdAt: at },
  };
}

try {
  const only = process.argv.includes("--only-processes");
  // 1. get of an unchanged 1 KB document.
  if (!only) {
    const store = new SqliteAdapter(join(dir, "get.db"));
    const value = doc1k(1);
    report("1 KB document JSON length", JSON.stringify(value).length, "bytes");
    await store.transact((tx) => tx.put("docs", "d", value));
    await store.get("docs", "d");
    report("get, unchanged 1 KB document (cache + data_version)", await measure(20_000, () => store.get("docs", "d")), "µs", "≤ 10 µs");
    const cold = new SqliteAdapter(join(dir, "get.db"), { cacheBytes: 0 });
    report("get, 1 KB document, cache disabled (read + parse + checksum)", await measure(20_000, () => cold.get("docs", "d")), "µs");
    await cold.close();
    await store.close();
  }

  // 2. update and session create vs a raw better-sqlite3 upsert. fsync latency on a shared
  // machine swings by orders of magnitude within seconds, so the three are measured in
  // alternating batches; each figure is the median of the batches' medians.
  for (const durability of only ? [] : ["strict", "relaxed"]) {
    const rawDb = new Database(join(dir, `raw-${durability}.db`));
    rawDb.pragma("journal_mode = WAL");
    rawDb.pragma(`synchronous = ${durability === "strict" ? "FULL" : "NORMAL"}`);
    rawDb.exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    const upsert = rawDb.prepare("INSERT INTO kv VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
    // Two alternating texts, as the benchmark's floor does: SQLite skips writing a cell that is
    // overwritten with identical bytes, so a constant value would commit nothing and skip the fsync.
    const texts = [JSON.stringify(doc1k(2)), JSON.stringify(doc1k(3))];
    const store = new SqliteAdapter(join(dir, `upd-${durability}.db`), { durability });
    await store.transact((tx) => tx.put("docs", "d", doc1k(0)));
    const n = durability === "strict" ? 50 : 500;
    const batches = { raw: [], update: [], create: [] };
    let k = 0;
    for (let r = 0; r < (durability === "strict" ? 15 : 21); r++) {
      batches.raw.push(await medianUs(n, (i) => upsert.run("global", texts[i & 1])));
      batches.update.push(
        await medianUs(n, (i) =>
          store.transact((tx) => {
            const cur = tx.get("docs", "d");
            tx.put("docs", "d", { ...cur.value, i });
          }),
        ),
      );
      batches.create.push(
        await medianUs(n, () =>
          store.transact((tx) => {
            const s = session(k++);
            tx.put("sessions", s.value.id, s.value, { ifAbsent: true, index: s.index });
          }),
        ),
      );
    }
    const raw = median(batches.raw);
    report(`raw better-sqlite3 single-row upsert, synchronous=${durability === "strict" ? "FULL" : "NORMAL"}`, raw, "µs");
    const upd = median(batches.update);
    const cre = median(batches.create);
    report(`update (read-modify-write of a 1 KB document), ${durability}`, upd, "µs", durability === "strict" ? "≤ 1.5× raw" : "≤ 50 µs");
    report(`session create (record + 2 index entries), ${durability}`, cre, "µs", durability === "strict" ? "≤ 1.5× raw" : "≤ 50 µs");
    if (durability === "strict") {
      report("update / raw upsert", upd / raw, "×", "≤ 1.5");
      report("session create / raw upsert", cre / raw, "×", "≤ 1.5");
    }
    rawDb.close();
    await store.close();
  }

  // 3. First page of a listing filtered by status among 100,000 sessions; disk per session.
  if (!only) {
    const file = join(dir, "sessions.db");
    const store = new SqliteAdapter(file, { durability: "relaxed" });
    for (let b = 0; b < 100; b++) {
      await store.transact((tx) => {
        for (let i = b * 1000; i < (b + 1) * 1000; i++) {
          const s = session(i);
          tx.put("sessions", s.value.id, s.value, { index: s.index });
        }
      });
      if (b === 9) {
        await store.compact();
        report("disk per session at 10,000 sessions (after compact, includes change log)", statSync(file).size / 10_000, "bytes", "≤ 1.5 KB");
      }
    }
    await store.close();
    const reader = new SqliteAdapter(file);
    const first = () => reader.list("sessions", { index: "status", prefix: "active\u0000", limit: 50 });
    const t0 = process.hrtime.bigint();
    const page = await first();
    report("first page (50) of sessions with status active among 100,000, cold (new process cache)", Number(process.hrtime.bigint() - t0) / 1e6, "ms", "≤ 2 ms");
    if (page.records.length !== 50) throw new Error("expected 50 records");
    report("same, warm", (await measure(200, first)) / 1000, "ms", "≤ 2 ms");
    const deep = await reader.list("sessions", { index: "status", prefix: "active\u0000", limit: 50, after: (await reader.list("sessions", { index: "status", prefix: "active\u0000", limit: 10_000 })).cursor });
    if (deep.records.length !== 50) throw new Error("expected a deep page");
    report("count of sessions with status active among 100,000", (await measure(20, () => reader.count("sessions", { index: "status", prefix: "active\u0000" }))) / 1000, "ms");
    await reader.close();
  }

  // 4. 25 processes × 200 increments.
  if (!process.argv.includes("--skip-processes")) {
    for (const durability of ["strict", "relaxed"]) {
      const file = join(dir, `inc-${durability}.db`);
      await new SqliteAdapter(file).close();
      const fixture = fileURLToPath(new URL("../test/fixtures/increment.mjs", import.meta.url));
      const startAt = String(Date.now() + 3000);
      const runs = Array.from({ length: 25 }, () =>
        new Promise((resolve, reject) => {
          const c = spawn(process.execPath, [fixture, file, "200", "adapter", startAt, durability], { stdio: ["ignore", "pipe", "inherit"] });
          let out = "";
          c.stdout.on("data", (d) => (out += d));
          c.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`))));
        }),
      );
      const all = await Promise.all(runs);
      const store = new SqliteAdapter(file);
      const final = (await store.get("counters", "c")).value.n;
      await store.close();
      const lat = all.flatMap((r) => r.latenciesMs);
      report(`25 processes × 200 increments, ${durability}: final counter`, final, "", "exactly 5,000");
      report(`25 processes × 200 increments, ${durability}: errors`, all.reduce((a, r) => a + r.errors, 0), "", "0");
      report(`25 processes × 200 increments, ${durability}: p50 latency`, percentile(lat, 50), "ms");
      report(`25 processes × 200 increments, ${durability}: p99 latency`, percentile(lat, 99), "ms", "≤ 50 ms");
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
