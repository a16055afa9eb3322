#!/usr/bin/env node
// Plain lmdb-js (no statehouse code): writer processes lose acknowledged commits when another
// process opens the environment while they write.
//
//   node scripts/reproduce-open-rollback.mjs [--rounds 10] [--mutex] [--dir /dev/shm]
//
// Each round: 3 writer processes run read-modify-write transactions (transactionSync: read their
// own counter and a shared one, write both + 1) while a fourth process opens and closes the
// environment 40 times. A writer that reads its own counter below the number of its acknowledged
// commits has lost a commit. Cause: mdb_env_open2 (lmdb-js's LMDB) sets the shared "last
// committed txn" of lock.mdb (mti_txnid) to the meta page it read at the start of opening; the
// next writer then takes the id of the commit made in between and overwrites it. With --mutex,
// opening and every write transaction hold the write lock of a second environment (what the
// adapter does, src/process-mutex.ts) and nothing is lost.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ABORT, open } from "lmdb";

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    path: { type: "string" },
    id: { type: "string" },
    rounds: { type: "string", default: "10" },
    mutex: { type: "boolean", default: false },
    dir: { type: "string", default: "/tmp" },
  },
});

function openPair(path, useMutex) {
  const mutex = useMutex ? open({ path: join(path, "mutex.mdb"), noSubdir: true, overlappingSync: false }) : undefined;
  const locked = (fn) => (mutex ? mutex.transactionSync(() => (fn(), ABORT)) : fn());
  let root;
  locked(() => {
    root = open({ path, overlappingSync: false });
  });
  return { root, locked, close: async () => (await root.close(), await mutex?.close()) };
}

async function writer() {
  const { root, locked } = openPair(values.path, values.mutex);
  const mine = `w${values.id}`;
  let acked = 0;
  let lost;
  let stop = false;
  process.on("message", () => (stop = true));
  process.send({ ready: true });
  while (!stop && lost === undefined) {
    try {
      locked(() =>
        root.transactionSync(() => {
          const own = root.get(mine) ?? 0;
          if (own !== acked) {
            lost = `own counter ${own} after ${acked} acknowledged commits`;
            return ABORT;
          }
          root.put(mine, own + 1);
          root.put("total", (root.get("total") ?? 0) + 1);
        }),
      );
    } catch (err) {
      // The symptom seen when the writer builds on a forgotten snapshot whose pages were reused.
      lost = `transaction failed: ${err.message}`;
    }
    if (lost === undefined) acked++;
    if (acked % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  process.send({ acked, lost }, () => process.exit(0));
}

async function opener() {
  process.send({ ready: true });
  for (let i = 0; i < 40; i++) {
    const pair = openPair(values.path, values.mutex);
    pair.root.get("total");
    await pair.close();
    await new Promise((r) => setTimeout(r, Math.random() * 5));
  }
  process.send({ done: true }, () => process.exit(0));
}

function child(args) {
  const c = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args, ...(values.mutex ? ["--mutex"] : [])], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  c.messages = [];
  c.on("error", () => undefined); // a writer that found a lost commit may be gone before "stop"
  c.waitFor = (key) =>
    new Promise((resolve) => {
      const check = () => {
        const m = c.messages.find((x) => key in x);
        if (m) resolve(m);
      };
      c.on("message", (m) => (c.messages.push(m), check()));
      check();
    });
  return c;
}

async function main() {
  const rounds = Number(values.rounds);
  let lostRounds = 0;
  for (let round = 0; round < rounds; round++) {
    const path = mkdtempSync(join(values.dir, "lmdb-open-rollback-"));
    const writers = [0, 1, 2].map((id) => child(["--role", "writer", "--path", path, "--id", String(id)]));
    await Promise.all(writers.map((w) => w.waitFor("ready")));
    const o = child(["--role", "opener", "--path", path]);
    await o.waitFor("done");
    for (const w of writers) if (w.connected) w.send("stop");
    const results = await Promise.all(writers.map((w) => w.waitFor("acked")));
    let total;
    try {
      const { root, close } = openPair(path, values.mutex);
      total = root.get("total") ?? 0;
      await close();
    } catch (err) {
      total = `unreadable (${err.message})`;
    }
    rmSync(path, { recursive: true, force: true });
    const acked = results.reduce((s, r) => s + r.acked, 0);
    const lost = results.filter((r) => r.lost).map((r) => r.lost);
    if (lost.length > 0 || total !== acked) lostRounds++;
    console.log(`round ${round}: ${acked} acknowledged commits, total counter ${total}${lost.length ? `; ${lost.join("; ")}` : ""}`);
  }
  console.log(`${values.mutex ? "with" : "without"} the mutex: ${lostRounds} of ${rounds} rounds lost commits`);
}

if (values.role !== undefined) process.on("error", () => undefined);
if (values.role === "writer") await writer();
else if (values.role === "opener") await opener();
else {
  await main();
  process.exit(0);
}
