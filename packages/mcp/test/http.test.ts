import { request as httpRequest, createServer, type Server } from "node:http";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type McpHttpHandler, createMcpHttpHandler } from "@statehouse/mcp";
import { type Store, open } from "@statehouse/core";
import { unixFetch, removeDir } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callError, cli, tempDir } from "./helpers.js";

// The streamable HTTP handler mounted on a plain node:http server on a unix socket, as the daemon
// will mount it; the SDK's own client speaks to it through a fetch that dials the socket.
let dir: string;
let url: string;
let socketPath: string;
let store: Store;
let handler: McpHttpHandler;
let server: Server;
const clients: Client[] = [];

async function httpClient(): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL("http://statehouse/mcp"), { fetch: unixFetch(socketPath) });
  const client = new Client({ name: "http-test", version: "0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

/** One raw request to the socket: status and body text. */
function raw(method: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, path: "/mcp", method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    // A server that refuses a body closes the connection while the body is still being written: EPIPE is expected then.
    req.on("socket", (socket) => socket.on("error", () => undefined));
    req.end(body);
  });
}

beforeAll(async () => {
  dir = tempDir();
  url = `sqlite:${join(dir, "state.db")}`;
  socketPath = join(dir, "mcp.sock");
  store = await open(url);
  handler = createMcpHttpHandler({ store, pollIntervalMs: 100, maxSessions: 6, maxBodyBytes: 1024 * 1024 });
  server = createServer((req, res) => {
    if (req.url !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    void handler.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await handler?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await store?.close();
  removeDir(dir);
});

const ACCEPT = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("MCP over streamable HTTP on a unix socket", () => {
  it("lists tools and resources, calls tools, answers errors with the code", async () => {
    const c = await httpClient();
    expect((await c.listTools()).tools).toHaveLength(19);
    expect((await c.listResources()).resources.map((r) => r.uri)).toContain("statehouse://state/global");
    expect(await call(c, "state_increment", { pointer: "/hits" })).toMatchObject({ value: 1, revision: 1 });
    const e = await callError(c, "state_set", { pointer: "/hits", value: 0, expectedRevision: 5 });
    expect(e.code).toBe("E_CONFLICT");
    expect(e.text).toContain("re-read and retry with expectedRevision 1");
    expect((await callError(c, "session_get", { id: "../../etc" })).code).toBe("E_INVALID_PATH");
    const read = await c.readResource({ uri: "statehouse://state/global" });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({ document: "global", revision: 1, value: { hits: 1 } });
  });

  it("two sessions contending on state_increment lose nothing", async () => {
    const [a, b] = await Promise.all([httpClient(), httpClient()]);
    const run = async (c: Client) => {
      for (let i = 0; i < 40; i++) await call(c, "state_increment", { doc: "http-race", pointer: "/n" });
    };
    await Promise.all([run(a), run(b)]);
    expect((await call(a, "state_get", { doc: "http-race", query: "/n" })).value).toBe(80);
  });

  it("a subscription is notified over the event stream of a write by the CLI in another process", async () => {
    const c = await httpClient();
    const updates: string[] = [];
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await c.subscribeResource({ uri: "statehouse://state/watched" });
    // Give the client's event stream (a GET) a moment to open: notifications before it are not replayed.
    await new Promise((r) => setTimeout(r, 500));
    expect((await cli(["--store", url, "state", "set", "/x", "1", "--doc", "watched"])).code).toBe(0);
    const t0 = Date.now();
    while (!updates.includes("statehouse://state/watched")) {
      if (Date.now() - t0 > 20_000) throw new Error(`no notification; got ${JSON.stringify(updates)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  it("refuses requests outside a session, unknown sessions, bodies over the bound and sessions over the bound", async () => {
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } },
    });
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    expect((await raw("POST", ACCEPT, list)).status).toBe(400);
    expect((await raw("POST", { ...ACCEPT, "mcp-session-id": "no-such-session" }, list)).status).toBe(404);
    expect((await raw("POST", ACCEPT, "{not json")).status).toBe(400);
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "state_set", arguments: { pointer: "/b", value: "z".repeat(2 * 1024 * 1024) } },
    });
    expect((await raw("POST", { ...ACCEPT, "mcp-session-id": "whatever" }, big)).status).toBe(413);
    // Sessions up to the bound (6, four of them already open), then 503.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await raw("POST", ACCEPT, init)).status);
    expect(statuses).toEqual([200, 200, 503, 503]);
    expect(handler.sessions).toBe(6);
    // Nothing of it reached the store.
    expect((await store.state().read()).value).toEqual({ hits: 1 });
  });

  it("a session idle past sessionIdleMs is closed, and its id is then unknown", async () => {
    const h = createMcpHttpHandler({ store, sessionIdleMs: 300 });
    const sock = join(dir, "idle.sock");
    const srv = createServer((req, res) => void h.handle(req, res));
    await new Promise<void>((resolve) => srv.listen(sock, resolve));
    try {
      const init = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } },
      });
      const opened = await new Promise<string>((resolve, reject) => {
        const req = httpRequest({ socketPath: sock, path: "/mcp", method: "POST", headers: ACCEPT, agent: false }, (res) => {
          res.resume();
          resolve(String(res.headers["mcp-session-id"]));
        });
        req.on("error", reject);
        req.end(init);
      });
      expect(h.sessions).toBe(1);
      const t0 = Date.now();
      while (h.sessions > 0) {
        if (Date.now() - t0 > 10_000) throw new Error("the idle session was never closed");
        await new Promise((r) => setTimeout(r, 50));
      }
      const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { socketPath: sock, path: "/mcp", method: "POST", headers: { ...ACCEPT, "mcp-session-id": opened }, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(list);
      });
      expect(status).toBe(404);
    } finally {
      await h.close();
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  it("close() ends every session", async () => {
    await handler.close();
    expect(handler.sessions).toBe(0);
  });
});
