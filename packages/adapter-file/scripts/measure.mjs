// Quick local measurements to guide the design (the benchmark harness is the reference).
// usage: node packages/adapter-file/scripts/measure.mjs [ops|contention|listing|disk] ...
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openAdapter } from "../dist/index.js";

const here = fileURLToPath(import.meta.url);
const doc = (n) => ({ title: "x".repeat(Math.max(0, n - 60)), count: 1, tags: ["a", "b"] });

async function timeAsync(label, n, fn) {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  const med = samples[Math.floor(n / 2)];
  console.log(`${label.padEnd(44)} median ${med.toFixed(1)} µs  p99 ${samples[Math.floor(n * 0.99)].toFixed(1)} µs`);
  return med;
}

/** Raw floor and adapter operation sampled alternately, so both see the same machine load. */
async function paired(label, n, dir, bytes, sync, op) {
  const buf = Buffer.alloc(bytes, 97);
  const raw = [];
  const ours = [];
  for (let i = 0; i < n; i++) {
    let t0 = process.hrtime.bigint();
    const p = path.join(dir, `raw.${i}.tmp`);
    const fd = fs.openSync(p, "wx", 0o600);
    fs.writeSync(fd, buf);
    if (sync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(p, path.join(dir, "raw.json"));
    raw.push(Number(process.hrtime.bigint() - t0) / 1000);
    t0 = process.hrtime.bigint();
    await op(i);
    ours.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const r = med(raw);
  const o = med(ours);
  console.log(`${label.padEnd(30)} median ${o.toFixed(1)} µs vs raw write${sync ? "+fsync" : ""}+rename ${r.toFixed(1)} µs: ratio ${(o / r).toFixed(2)}`);
}

async function ops() {
  for (const [durability, lockLeaseMs] of [["strict", 0], ["relaxed", 0], ["strict", 5], ["relaxed", 5]]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fa-ops-"));
    const a = await openAdapter(path.join(dir, "store"), { durability, lockLeaseMs });
    await a.transact((tx) => tx.put("state", "global", doc(1024)));
    console.log(`--- ${durability}${lockLeaseMs > 0 ? `, lockLeaseMs ${lockLeaseMs}` : ""}`);
    {
      for (let i = 0; i < 1000; i++) await a.get("state", "global");
      const t0 = process.hrtime.bigint();
      const n = 100000;
      for (let i = 0; i < n; i++) await a.get("state", "global");
      console.log(`${"get, unchanged 1 KB record".padEnd(30)} ${(Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(2)} µs/op`);
    }
    const bytes = JSON.stringify(doc(1024)).length;
    const sync = durability === "strict";
    await paired("update 1 KB document", 400, dir, bytes, sync, (i) => a.transact((tx) => tx.put("state", "global", { ...doc(1024), count: i })));
    await paired("create session", 400, dir, 200, sync, (i) =>
      a.transact((tx) => tx.put("sessions", `s${i}`, { id: `s${i}`, status: "active", name: "n" }, { index: { status: `active\u0000${i}` } })),
    );
    await a.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function duBytes(dir) {
  let total = 0;
  for (const name of fs.readdirSync(dir, { recursive: true })) {
    const st = fs.lstatSync(path.join(dir, name));
    total += st.blocks * 512;
  }
  return total;
}

async function listing(counts) {
  for (const n of counts) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fa-list-"));
    const a = await openAdapter(path.join(dir, "store"), { durability: "relaxed" });
    const batch = 500;
    for (let i = 0; i < n; i += batch) {
      await a.transact((tx) => {
        for (let j = i; j < Math.min(n, i + batch); j++) {
          const status = ["active", "completed", "failed"][j % 3];
          const now = new Date(1_700_000_000_000 + j * 1000).toISOString();
          tx.put(
            "sessions",
            `sess-${String(j).padStart(7, "0")}`,
            { id: `sess-${j}`, name: `session ${j}`, status, createdAt: now, updatedAt: now, endedAt: null, metadata: { agent: "claude", cwd: "/work/project" } },
            { index: { status: `${status}\u0000${now}`, created: now } },
          );
        }
      });
    }
    await a.compact();
    console.log(`--- ${n} sessions: disk ${(duBytes(path.join(dir, "store")) / n).toFixed(0)} B/session (st_blocks×512)`);
    await a.close();
    const b = await openAdapter(path.join(dir, "store"));
    let t0 = process.hrtime.bigint();
    await b.list("sessions", { index: "created", limit: 50, reverse: true });
    console.log(`first page cold (fresh adapter)              ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`);
    await timeAsync("first page of 50, warm", 200, () => b.list("sessions", { index: "created", limit: 50, reverse: true }));
    await timeAsync("first page of 50 by status prefix, warm", 200, () => b.list("sessions", { index: "status", prefix: "active\u0000", limit: 50 }));
    t0 = process.hrtime.bigint();
    await b.get("sessions", "sess-0000042");
    await b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function contention(procs, each, durability) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fa-cont-"));
  const store = path.join(dir, "store");
  const a = await openAdapter(store, { durability });
  await a.transact((tx) => tx.put("state", "counter", { n: 0 }));
  await a.close();
  const t0 = Date.now();
  const lat = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: procs }, () =>
      new Promise((resolve) => {
        const c = spawn(process.execPath, [here, "child", store, String(each), durability], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        c.stdout.on("data", (d) => (out += d));
        c.on("exit", () => {
          const r = JSON.parse(out);
          lat.push(...r.lat);
          errors += r.errors;
          resolve();
        });
      }),
    ),
  );
  const elapsed = (Date.now() - t0) / 1000;
  const b = await openAdapter(store);
  const final = (await b.get("state", "counter")).value.n;
  await b.close();
  lat.sort((x, y) => x - y);
  console.log(
    `${procs} procs × ${each} (${durability}): final ${final}/${procs * each}, errors ${errors}, p50 ${lat[Math.floor(lat.length / 2)].toFixed(1)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)} ms, ${(procs * each / elapsed).toFixed(0)} incr/s (incl. start-up)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

async function child(store, each, durability) {
  const a = await openAdapter(store, { durability });
  const lat = [];
  let errors = 0;
  for (let i = 0; i < each; i++) {
    const t0 = performance.now();
    try {
      await a.transact((tx) => tx.put("state", "counter", { n: tx.get("state", "counter").value.n + 1 }));
    } catch {
      errors++;
    }
    lat.push(performance.now() - t0);
  }
  await a.close();
  process.stdout.write(JSON.stringify({ lat, errors }));
}

const [mode = "ops", ...rest] = process.argv.slice(2);
if (mode === "ops") await ops();
else if (mode === "listing") await listing(rest.length > 0 ? rest.map(Number) : [10_000]);
else if (mode === "contention") {
  const durability = rest[2] ?? "strict";
  await contention(1, Number(rest[1] ?? 200), durability);
  await contention(Number(rest[0] ?? 25), Number(rest[1] ?? 200), durability);
} else if (mode === "child") await child(rest[0], Number(rest[1]), rest[2]);
