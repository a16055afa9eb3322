// Round trip of one MCP tool call, client to server and back, measured through the SDK's own client:
// over stdio to a `statehouse mcp` process, and over streamable HTTP to createMcpHttpHandler on a
// unix socket (served by a child process, as the daemon will serve it). Run from the repo root after
// building core, the sqlite adapter, the CLI and this package:
//   node packages/mcp/scripts/bench-roundtrip.mjs [--calls N]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const BIN = fileURLToPath(new URL("../../cli/bin/statehouse.js", import.meta.url));

if (process.argv[2] === "--serve-http") {
  // The child: the HTTP handler over a store, on a unix socket; "ready" on stdout once listening.
  const [socketPath, url, durability] = process.argv.slice(3);
  const { open } = await import("@statehouse/core");
  const { createMcpHttpHandler } = await import("../dist/index.js");
  const store = await open(url, { durability });
  const handler = createMcpHttpHandler({ store });
  const server = createServer((req, res) => void handler.handle(req, res));
  server.listen(socketPath, () => process.stdout.write("ready\n"));
  process.stdin.on("end", async () => {
    await handler.close();
    server.closeAllConnections();
    server.close();
    await store.close();
    process.exit(0);
  });
  process.stdin.resume();
} else {
  const calls = Number(process.argv[process.argv.indexOf("--calls") + 1] || 1000);
  const dir = mkdtempSync(join(tmpdir(), "sh-mcp-bench-"));
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
  };
  const time = async (client, name, args) => {
    for (let i = 0; i < 50; i++) await client.callTool({ name, arguments: args });
    const ms = [];
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      const r = await client.callTool({ name, arguments: args });
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.isError) throw new Error(r.content[0].text);
    }
    return { p50: pct(ms, 50), p99: pct(ms, 99) };
  };
  const unixFetch = (socketPath) => (input, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(String(input));
      const req = httpRequest(
        { socketPath, path: u.pathname, method: init?.method ?? "GET", headers: Object.fromEntries(new Headers(init?.headers).entries()) },
        (res) => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve(new Response(res.statusCode === 204 ? null : Readable.toWeb(res), { status: res.statusCode, headers: h }));
        },
      );
      req.on("error", reject);
      req.end(typeof init?.body === "string" ? init.body : undefined);
    });
  const rows = [];
  const measure = async (transportName, storeName, client) => {
    await client.callTool({ name: "state_set", arguments: { pointer: "/probe", value: { a: 1, b: [1, 2, 3] } } });
    const get = await time(client, "state_get", { query: "/probe" });
    const incr = await time(client, "state_increment", { pointer: "/n" });
    for (const [op, r] of [
      ["state_get", get],
      ["state_increment", incr],
    ]) {
      rows.push({ transport: transportName, store: storeName, op, p50: r.p50.toFixed(3), p99: r.p99.toFixed(3) });
    }
  };
  const stores = [
    ["memory:", "memory", undefined],
    [`sqlite:${join(dir, "relaxed.db")}`, "sqlite relaxed", "relaxed"],
    [`sqlite:${join(dir, "strict.db")}`, "sqlite strict", "strict"],
  ];
  try {
    for (const [url, name, durability] of stores) {
      const args = [BIN, "--store", url, ...(durability ? ["--durability", durability] : []), "mcp"];
      const client = new Client({ name: "bench", version: "0" });
      await client.connect(new StdioClientTransport({ command: process.execPath, args, stderr: "inherit" }));
      await measure("stdio", name, client);
      await client.close();
    }
    for (const [url, name, durability] of stores) {
      const socketPath = join(dir, `${name.replace(" ", "-")}.sock`);
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve-http", socketPath, url, durability ?? "strict"], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      await new Promise((resolve) => child.stdout.once("data", resolve));
      const client = new Client({ name: "bench", version: "0" });
      await client.connect(new StreamableHTTPClientTransport(new URL("http://statehouse/mcp"), { fetch: unixFetch(socketPath) }));
      await measure("http (unix socket)", name, client);
      await client.close();
      child.stdin.end();
      await new Promise((resolve) => child.once("close", resolve));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`MCP tool call round trip, ${calls} calls after 50 warm-up, ms (node ${process.version}, ${new Date().toISOString()})`);
  console.table(rows);
}
