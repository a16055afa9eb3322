// Interleaved in-process measurement of the goals (see README "Measured"): each round runs every
// operation once, so load from other work falls on all of them alike.
//   node packages/adapter-postgres/scripts/interleaved.mjs [rounds] [--reads]
// Needs the packages built; starts a throwaway server. Prints medians (µs) and the ratios.
import { open } from "@statehouse/core";
import { startTestServer } from "@statehouse/adapter-postgres/testing";
import pg from "pg";
const ROUNDS = Number(process.argv[2] ?? 400);
const now = () => Number(process.hrtime.bigint()) / 1000;
const doc = { project: { name: "statehouse", phase: "build", owner: "agent-1" }, counters: { toolCalls: 0, tokens: 0 }, items: [] };
for (let i = 0; JSON.stringify(doc).length < 1024; i++) doc.items.push({ id: `item-${i}`, status: i % 3 ? "ok" : "failed", n: i });
const texts = [JSON.stringify(doc), JSON.stringify({ ...doc, v: 2 })];
const server = startTestServer();
try {
  const cfg = { host: server.socketDir, port: server.port, user: "postgres", database: "postgres" };
  const c = new pg.Client(cfg);
  await c.connect();
  await c.query("CREATE SCHEMA fl; SET search_path = fl");
  await c.query('CREATE TABLE kv (id text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL, value text NOT NULL)');
  await c.query("CREATE TABLE counter (one boolean PRIMARY KEY, seq bigint NOT NULL)");
  await c.query("INSERT INTO counter VALUES (true, 0)");
  await c.query("CREATE TABLE changes (seq bigint PRIMARY KEY, at bigint NOT NULL, entries text NOT NULL)");
  await c.query("INSERT INTO kv VALUES ('global', 0, $1)", [texts[0]]);
  await c.query('CREATE TABLE history (id text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL, value text NOT NULL)');
  const meta = JSON.stringify({ collection: "state", document: "global", revision: 1, at: new Date(0).toISOString(), size: 1024, entries: Array.from({ length: 20 }, (_, r) => ({ revision: r + 1, at: new Date(0).toISOString(), size: 1024 })) });
  let i = 0;
  const floorCommit = async (strict, hist) => {
    await c.query(strict ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit = off");
    const s = await c.query({ name: "floor_counter", text: "UPDATE counter SET seq = seq + 1 RETURNING seq" });
    const seq = s.rows[0].seq;
    await c.query({ name: "floor_upsert", text: "INSERT INTO kv VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = $2, value = $3", values: ["global", seq, texts[i++ & 1]] });
    if (hist) {
      const n = Number(seq);
      await c.query({ name: "floor_history", text: "INSERT INTO history VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = $2, value = $3", values: [`g.global@${n}`, seq, texts[i & 1]] });
      await c.query({ name: "floor_meta", text: "INSERT INTO history VALUES ('g.global', $1, $2) ON CONFLICT (id) DO UPDATE SET seq = $1, value = $2", values: [seq, meta] });
      await c.query({ name: "floor_trim", text: "DELETE FROM history WHERE id = $1", values: [`g.global@${n - 20}`] });
    }
    await c.query({ name: "floor_change", text: "INSERT INTO changes VALUES ($1, 0, $2)", values: [seq, '[["p","state","global",1]]'] });
    await c.query("COMMIT");
  };
  const store = await open(server.url("postgres", { schema: "st" }));
  await store.state("global").replace(doc);
  const relaxed = await open(server.url("postgres", { schema: "st_rel" }), { durability: "relaxed" });
  await relaxed.state("global").replace(doc);
  const cold = await open(server.url("postgres", { schema: "st" }), { cacheEntries: 0 });
  const ops = {
    "floor select": () => c.query({ name: "floor_select", text: "SELECT value FROM kv WHERE id = $1", values: ["global"] }),
    "adapter.get": () => store.adapter.get("state", "global"),
    "state.get /project/name": () => store.state("global").get("/project/name"),
    "state.get cacheEntries 0": () => cold.state("global").get("/project/name"),
    ...(process.argv.includes("--reads") ? {} : {
      "floor commit strict": () => floorCommit(true),
      "floor commit+hist strict": () => floorCommit(true, true),
      "state.set strict": () => store.state("global").set("/counters/tokens", ++i),
      "floor commit relaxed": () => floorCommit(false),
      "floor commit+hist relaxed": () => floorCommit(false, true),
      "state.set relaxed": () => relaxed.state("global").set("/counters/tokens", ++i),
    }),
  };
  const t = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS + 20; r++) {
    for (const [k, fn] of Object.entries(ops)) {
      const t0 = now();
      await fn();
      if (r >= 20) t[k].push(now() - t0);
    }
  }
  const med = (a) => { a.sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
  const m = Object.fromEntries(Object.entries(t).map(([k, a]) => [k, med(a)]));
  for (const [k, v] of Object.entries(m)) console.log(k.padEnd(28), v.toFixed(0).padStart(7), "µs");
  console.log("get ratio", (m["state.get /project/name"] / m["floor select"]).toFixed(2), "adapter.get ratio", (m["adapter.get"] / m["floor select"]).toFixed(2));
  if (m["state.set strict"]) console.log("write ratio", (m["state.set strict"] / m["floor commit strict"]).toFixed(2), "relaxed", (m["state.set relaxed"] / m["floor commit relaxed"]).toFixed(2), "vs +hist floor: strict", (m["state.set strict"] / m["floor commit+hist strict"]).toFixed(2), "relaxed", (m["state.set relaxed"] / m["floor commit+hist relaxed"]).toFixed(2));
  await store.close(); await relaxed.close(); await cold.close();
  await c.end();
} finally {
  server.stop();
}
