// In-process round trip of a state get over the daemon's socket: the app (@statehouse/server) and
// the client (@statehouse/client) in this one process, a real unix socket between them. Prints
// p50/p90/p99 of `store.state().get("/toolCalls")` through the client, beside the same get in
// process without HTTP, over the store the URL names.
// Usage: node packages/client/scripts/roundtrip.mjs [STORE_KIND=sqlite|file|lmdb|memory] [N=3000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "@statehouse/client";
import { open as openLocal } from "@statehouse/core";
import { createApp } from "@statehouse/server";

const kind = process.argv[2] ?? "sqlite";
const N = Number(process.argv[3] ?? 3000);
const dir = mkdtempSync(join(tmpdir(), "statehouse-roundtrip-"));
const url = { sqlite: `sqlite:${dir}/store.db`, file: `file:${dir}/store`, lmdb: `lmdb:${dir}/store`, memory: "memory:" }[kind];
const store = await openLocal(url);
await store.state().set("/toolCalls", 41);
const app = await createApp({ store, storeUrl: url });
const socket = join(dir, "s.sock");
await app.listen({ path: socket });
const remote = await open(`unix:${socket}`);

async function sample(fn) {
  for (let i = 0; i < 500; i++) await fn(); // warm-up: JIT, the keep-alive connection, caches
  const us = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  const q = (p) => us[Math.floor(p * us.length)].toFixed(1);
  return `p50 ${q(0.5)} µs, p90 ${q(0.9)} µs, p99 ${q(0.99)} µs`;
}

const viaSocket = await sample(() => remote.state().get("/toolCalls"));
const inProcess = await sample(() => store.state().get("/toolCalls"));
console.log(`node ${process.version}, ${kind} store, ${N} sequential gets after 500 warm-up`);
console.log(`state get through the client over the unix socket: ${viaSocket}`);
console.log(`state get in process (no HTTP):                      ${inProcess}`);
await remote.close();
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
