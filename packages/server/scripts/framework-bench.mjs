// Framework by measurement: node:http vs fastify 5 vs hono (@hono/node-server), each in its own
// process on a unix socket, driven by the same client load from this process: C keep-alive
// connections issuing requests back to back for D seconds per route, after a warm-up.
// Prints requests/s and p50/p99 latency per request as a markdown table.
// Usage: node packages/server/scripts/framework-bench.mjs [SECONDS=5] [CONNECTIONS=8] [ROUNDS=2]
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SECONDS = Number(process.argv[2] ?? 5);
const CONNECTIONS = Number(process.argv[3] ?? 8);
const ROUNDS = Number(process.argv[4] ?? 2);
const SERVER = fileURLToPath(new URL("./framework-server.mjs", import.meta.url));
const BODY = JSON.stringify({ pointer: "/toolCalls", by: 1 });

function once(agent, socketPath, method, path) {
  return new Promise((resolve, reject) => {
    const headers = method === "POST" ? { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) } : {};
    const req = request({ agent, socketPath, method, path, headers }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(method === "POST" ? BODY : undefined);
  });
}

async function load(socketPath, method, path, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await once(agent, socketPath, method, path);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { rps: latencies.length / seconds, p50: q(0.5), p99: q(0.99) };
}

async function startServer(framework, socket) {
  const child = spawn(process.execPath, [SERVER, framework, socket], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (c) => String(c).includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`${framework} exited ${code}: ${stderr.split("\n").slice(0, 6).join(" | ")}`)));
  });
  return child;
}

async function measure(framework) {
  const socket = join(tmpdir(), `statehouse-fw-${framework}-${process.pid}.sock`);
  let child;
  try {
    child = await startServer(framework, socket);
  } catch (err) {
    console.error(`retrying once: ${err.message}`);
    child = await startServer(framework, socket);
  }
  await load(socket, "GET", "/v1/json", 1);
  await load(socket, "POST", "/v1/echo", 1);
  const get = await load(socket, "GET", "/v1/json", SECONDS);
  const post = await load(socket, "POST", "/v1/echo", SECONDS);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return { get, post };
}

const results = { node: [], fastify: [], hono: [] };
// Rounds interleave the frameworks, so a burst of load from elsewhere on the machine hits all of them.
for (let round = 0; round < ROUNDS; round++) for (const f of Object.keys(results)) results[f].push(await measure(f));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per route, median of ${ROUNDS} interleaved rounds`);
console.log("| framework | GET req/s | GET p50 ms | GET p99 ms | POST req/s | POST p50 ms | POST p99 ms |");
console.log("|---|---|---|---|---|---|---|");
for (const [f, runs] of Object.entries(results)) {
  const m = (route, key) => median(runs.map((r) => r[route][key]));
  const row = [m("get", "rps").toFixed(0), m("get", "p50").toFixed(3), m("get", "p99").toFixed(3), m("post", "rps").toFixed(0), m("post", "p50").toFixed(3), m("post", "p99").toFixed(3)];
  console.log(`| ${f === "node" ? "node:http" : f} | ${row.join(" | ")} |`);
}
