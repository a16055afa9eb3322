import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { unixFetch } from "@statehouse/conformance/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

// The daemon's app serving the store's MCP server over streamable HTTP at /mcp, on a unix socket
// over a SQLite store; the SDK's own client speaks to it through a fetch that dials the socket.

const clients: Client[] = [];

async function connect(socket: string, headers: Record<string, string> = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL("http://statehouse/mcp"), {
    fetch: unixFetch(socket),
    requestInit: { headers },
  });
  const client = new Client({ name: "daemon-mcp-test", version: "0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function tool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ isError: boolean; json: any; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r.content[0] as { text: string }).text;
  return { isError: r.isError === true, text, json: r.isError ? undefined : JSON.parse(text) };
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
});

describe("/mcp on the daemon's app", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve((dir) => `sqlite:${join(dir, "state.db")}`);
  });
  afterAll(async () => {
    await s?.close();
  });

  it("lists the tools and increments through the store the app serves", async () => {
    expect(s.app.statehouse.mcp).toEqual({ enabled: true });
    const c = await connect(s.socket);
    const names = (await c.listTools()).tools.map((t) => t.name);
    for (const n of ["state_get", "state_increment", "session_create", "lease_acquire", "lease_release"]) expect(names).toContain(n);

    expect((await tool(c, "state_increment", { pointer: "/calls" })).json).toMatchObject({ document: "global", value: 1, revision: 1 });
    expect((await tool(c, "state_increment", { pointer: "/calls", by: 41 })).json).toMatchObject({ value: 42, revision: 2 });
    expect(await s.store.state().get("/calls")).toBe(42);
    // The same value through the REST API of the same app.
    expect((await call(s.socket, "GET", "/v1/state/global?pointer=/calls")).json).toMatchObject({ value: 42 });
  });

  it("answers tool errors with the statehouse code, and two clients contend exactly", async () => {
    const [a, b] = await Promise.all([connect(s.socket), connect(s.socket)]);
    const e = await tool(a, "state_set", { pointer: "/x", value: 1, expectedRevision: 99 });
    expect(e.isError).toBe(true);
    expect(e.text).toMatch(/^E_CONFLICT: /);
    await Promise.all(
      [a, b].map(async (c) => {
        for (let i = 0; i < 20; i++) await tool(c, "state_increment", { doc: "race", pointer: "/n" });
      }),
    );
    expect(await s.store.state("race").get("/n")).toBe(40);
  });

  it("refuses a request without a session or initialize, and an unknown session, as the handler does", async () => {
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const unknown = await call(s.socket, "POST", "/mcp", list, { ...headers, "mcp-session-id": "nope" });
    expect(unknown.status).toBe(404);
    expect((await call(s.socket, "POST", "/mcp", list, headers)).status).toBe(400);
    const empty = await call(s.socket, "POST", "/mcp", "", headers);
    expect(empty.status).toBe(400);
    // The REST API is untouched.
    expect((await call(s.socket, "GET", "/v1/health")).status).toBe(200);
  });

  it("the OpenAPI document lists /mcp", async () => {
    const doc = (await call(s.socket, "GET", "/v1/openapi.json")).json;
    expect(Object.keys(doc.paths["/mcp"]).sort()).toEqual(["delete", "get", "post"]);
  });
});

describe("/mcp and the app's rules", () => {
  it("the auth hook guards /mcp like every route", async () => {
    const s = await serve((dir) => `sqlite:${join(dir, "state.db")}`, {
      auth: (req) => (req.headers.authorization === "Bearer sesame" ? undefined : { status: 401, detail: "a bearer token is required" }),
    });
    try {
      await expect(connect(s.socket)).rejects.toThrow(/401/);
      const c = await connect(s.socket, { authorization: "Bearer sesame" });
      expect((await tool(c, "state_increment", { pointer: "/n" })).json).toMatchObject({ value: 1 });
      expect(await s.store.state().get("/n")).toBe(1);
    } finally {
      for (const c of clients.splice(0)) await c.close().catch(() => {});
      await s.close();
    }
  });

  it("closing the app ends open MCP sessions and their event streams at once", async () => {
    const s = await serve((dir) => `sqlite:${join(dir, "state.db")}`);
    const c = await connect(s.socket);
    await tool(c, "state_increment", { pointer: "/n" });
    // Let the client open its GET event stream.
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("loads the MCP server on the first /mcp request: clients arriving together at a fresh app share one load", async () => {
    const s = await serve((dir) => `sqlite:${join(dir, "state.db")}`);
    try {
      const all = await Promise.all([0, 1, 2].map(() => connect(s.socket)));
      await Promise.all(all.map((c) => tool(c, "state_increment", { pointer: "/first" })));
      expect(await s.store.state().get("/first")).toBe(3);
      expect(s.app.statehouse.mcp).toEqual({ enabled: true });
    } finally {
      for (const c of clients.splice(0)) await c.close().catch(() => {});
      await s.close();
    }
  });

  it("mcp: false serves no /mcp", async () => {
    const s = await serve(() => "memory:", { mcp: false });
    try {
      expect(s.app.statehouse.mcp).toEqual({ enabled: false, reason: "turned off (mcp: false)" });
      expect((await call(s.socket, "POST", "/mcp", { jsonrpc: "2.0", id: 1, method: "ping" })).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
