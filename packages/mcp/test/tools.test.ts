import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callError, cli, connect, tempDir } from "./helpers.js";

// Every tool's happy path and the error codes a tool's arguments can cause, through the SDK's own
// client against the real `statehouse mcp` process over stdio, on a SQLite store.
let dir: string;
let url: string;
let client: Client;

beforeAll(async () => {
  // One level down in a private directory: the traversal check looks at the parent, which must
  // not be the shared temp directory where other test files come and go.
  dir = join(tempDir(), "store");
  mkdirSync(dir);
  url = `sqlite:${join(dir, "state.db")}`;
  ({ client } = await connect(url));
});

afterAll(async () => {
  await client?.close();
  rmSync(join(dir, ".."), { recursive: true, force: true });
});

const TOOLS = [
  "state_get",
  "state_set",
  "state_patch",
  "state_merge",
  "state_increment",
  "session_create",
  "session_list",
  "session_get",
  "session_end",
  "agent_spawn",
  "agent_heartbeat",
  "agent_list",
  "config_get",
  "tools_list",
  "batch",
  "changes_since",
  "lease_acquire",
  "lease_renew",
  "lease_release",
];

describe("listing", () => {
  it("lists every tool, each with a description and an object input schema", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const t of tools) {
      expect(t.description?.length, t.name).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe("object");
    }
    const set = tools.find((t) => t.name === "state_set")!;
    expect(set.inputSchema.required).toEqual(["pointer", "value"]);
    expect(Object.keys(set.inputSchema.properties ?? {})).toContain("expectedRevision");
    expect(tools.find((t) => t.name === "state_get")!.annotations?.readOnlyHint).toBe(true);
  });

  it("lists the resources and the resource templates", async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const u of ["statehouse://state/global", "statehouse://sessions", "statehouse://agents", "statehouse://tools"])
      expect(uris).toContain(u);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      "statehouse://config/{project}",
      "statehouse://sessions/{id}",
      "statehouse://sessions/{id}/state",
      "statehouse://state/{name}",
    ]);
  });
});

describe("state tools", () => {
  it("set, get (whole, pointer, JSONPath), merge, patch and increment, each with the revision", async () => {
    const s1 = await call(client, "state_set", {
      pointer: "/tasks",
      value: [
        { title: "a", done: false },
        { title: "b", done: true },
      ],
    });
    expect(s1).toMatchObject({ document: "global", revision: 1 });
    expect(s1.sequence).toBeGreaterThan(0);
    expect(await call(client, "state_get")).toEqual({
      document: "global",
      revision: 1,
      value: {
        tasks: [
          { title: "a", done: false },
          { title: "b", done: true },
        ],
      },
    });
    expect(await call(client, "state_get", { query: "/tasks/1/title" })).toEqual({
      document: "global",
      revision: 1,
      pointer: "/tasks/1/title",
      value: "b",
    });
    expect(await call(client, "state_get", { query: "$.tasks[?@.done == false].title" })).toMatchObject({
      revision: 1,
      values: ["a"],
      pointers: ["/tasks/0/title"],
    });
    expect(await call(client, "state_merge", { patch: { phase: "review", tasks: null } })).toMatchObject({ revision: 2 });
    expect(
      await call(client, "state_patch", {
        operations: [
          { op: "add", path: "/tags", value: ["x"] },
          { op: "remove", path: "/phase" },
        ],
      }),
    ).toMatchObject({ revision: 3 });
    expect(await call(client, "state_increment", { pointer: "/calls" })).toMatchObject({ value: 1, revision: 4 });
    expect(await call(client, "state_increment", { pointer: "/calls", by: 41, expectedRevision: 4 })).toMatchObject({
      value: 42,
      revision: 5,
    });
    expect((await call(client, "state_get")).value).toEqual({ tags: ["x"], calls: 42 });
    // What the MCP server wrote, another process reads.
    const r = await cli(["--store", url, "--json", "state", "get", "/calls"]);
    expect(JSON.parse(r.stdout).value).toBe(42);
  });

  it("named documents and a session's document are separate; a missing document reads as revision 0", async () => {
    expect(await call(client, "state_get", { doc: "plans" })).toEqual({ document: "plans", revision: 0, exists: false });
    await call(client, "state_set", { doc: "plans", pointer: "/p", value: 1, expectedRevision: 0 });
    expect((await call(client, "state_get", { doc: "plans" })).value).toEqual({ p: 1 });
    const s = await call(client, "session_create", { name: "work" });
    await call(client, "state_increment", { session: s.id, pointer: "/n", by: 2 });
    expect(await call(client, "state_get", { session: s.id })).toMatchObject({ document: `session:${s.id}`, revision: 1, value: { n: 2 } });
  });
});

describe("session, agent, config and registry tools", () => {
  it("create, list, get, end sessions; spawn, heartbeat, list agents", async () => {
    const s = await call(client, "session_create", { name: "fix login bug", project: "web", metadata: { ticket: 7 } });
    expect(s).toMatchObject({ name: "fix login bug", project: "web", status: "active", revision: 1, metadata: { ticket: 7 } });
    expect(await call(client, "session_get", { id: s.id })).toMatchObject({ id: s.id, revision: 1 });
    const listed = await call(client, "session_list", { project: "web", status: "active" });
    expect(listed.sessions.map((x: { id: string }) => x.id)).toEqual([s.id]);
    const a = await call(client, "agent_spawn", { sessionId: s.id, role: "reviewer", pid: 1234 });
    expect(a).toMatchObject({ sessionId: s.id, role: "reviewer", status: "spawning", pid: 1234, revision: 1 });
    const hb = await call(client, "agent_heartbeat", { id: a.id });
    expect(hb).toMatchObject({ status: "running", revision: 2 });
    expect(hb.heartbeatAt).toBeTypeOf("string");
    const agents = await call(client, "agent_list", { sessionId: s.id });
    expect(agents.agents.map((x: { id: string }) => x.id)).toEqual([a.id]);
    const ended = await call(client, "session_end", { id: s.id, status: "failed" });
    expect(ended).toMatchObject({ status: "failed" });
    expect(ended.endedAt).toBeTypeOf("string");
  });

  it("paginates a listing with a cursor", async () => {
    for (let i = 0; i < 3; i++) await call(client, "session_create", { project: "paged" });
    const p1 = await call(client, "session_list", { project: "paged", limit: 2 });
    expect(p1.sessions).toHaveLength(2);
    const p2 = await call(client, "session_list", { project: "paged", limit: 2, cursor: p1.cursor });
    expect(p2.sessions).toHaveLength(1);
    expect(p2.cursor).toBeUndefined();
  });

  it("config_get, tools_list and batch (atomic), changes_since", async () => {
    const before = (await call(client, "changes_since", { since: 0, limit: 1000 })).sequence;
    const b = await call(client, "batch", {
      operations: [
        { op: "config.set", project: "web", config: { maxConcurrentAgents: 4 } },
        { op: "tools.register", tool: { name: "lint", command: "pnpm lint", description: "Run the linter" } },
        { op: "state.increment", doc: "counters", pointer: "/runs" },
      ],
    });
    expect(b.results).toHaveLength(3);
    expect(await call(client, "config_get", { project: "web" })).toMatchObject({
      project: "web",
      config: { maxConcurrentAgents: 4 },
      revision: 1,
    });
    expect((await call(client, "tools_list")).tools).toMatchObject([{ name: "lint", command: "pnpm lint", revision: 1 }]);
    const ch = await call(client, "changes_since", { since: before });
    expect(ch.changeSets).toHaveLength(1);
    expect(ch.sequence).toBe(before + 1);
    expect(ch.more).toBe(false);
    const paged = await call(client, "changes_since", { since: 0, limit: 1 });
    expect(paged).toMatchObject({ sequence: 1, more: true });
    const collections: string[] = ch.changeSets[0].changes.map((c: { collection: string }) => c.collection).sort();
    // The state write's history record travels in the same change set (see core's history).
    expect(collections.filter((c) => !c.startsWith("history"))).toEqual(["config", "state", "tools"]);
    expect(collections).toContain("history-meta");
    // A batch whose last operation fails leaves nothing behind.
    const e = await callError(client, "batch", {
      operations: [
        { op: "state.set", doc: "counters", pointer: "/runs", value: 100 },
        { op: "state.increment", doc: "counters", pointer: "/runs", ifRevision: 99 },
      ],
    });
    expect(e.code).toBe("E_CONFLICT");
    expect((await call(client, "state_get", { doc: "counters", query: "/runs" })).value).toBe(1);
  });
});

describe("error codes, each a tool error that leads with the code and says what to do", () => {
  it("E_CONFLICT carries the current revision and says re-read and retry", async () => {
    const { revision } = await call(client, "state_set", { doc: "c", pointer: "/a", value: 1 });
    const e = await callError(client, "state_set", { doc: "c", pointer: "/a", value: 2, expectedRevision: revision + 5 });
    expect(e.code).toBe("E_CONFLICT");
    expect(e.error).toMatchObject({ code: "E_CONFLICT", currentRevision: revision });
    expect(e.text).toContain(`current revision is ${revision}`);
    expect(e.text).toContain("re-read and retry");
    expect((await call(client, "state_get", { doc: "c", query: "/a" })).value).toBe(1);
  });

  it("E_NOT_FOUND for a missing session, agent, config, and a pointer with nothing there", async () => {
    expect((await callError(client, "session_get", { id: "ses_missing" })).code).toBe("E_NOT_FOUND");
    expect((await callError(client, "agent_heartbeat", { id: "agt_missing" })).code).toBe("E_NOT_FOUND");
    expect((await callError(client, "config_get", { project: "nothing" })).code).toBe("E_NOT_FOUND");
    const e = await callError(client, "state_get", { query: "/no/such/thing" });
    expect(e.code).toBe("E_NOT_FOUND");
    expect(e.text).toContain("revision");
  });

  it("E_VALIDATION for arguments that do not fit the schema, and for values the store refuses", async () => {
    const schema = await callError(client, "state_set", { pointer: 5 });
    expect(schema.code).toBe("E_VALIDATION");
    expect(schema.text).toContain("pointer");
    expect((await callError(client, "state_increment", { pointer: "/tags" })).code).toBe("E_VALIDATION");
    expect((await callError(client, "batch", { operations: { op: "state.set" } })).code).toBe("E_VALIDATION");
    expect((await callError(client, "session_list", { limit: 0 })).code).toBe("E_VALIDATION");
  });

  it("E_INVALID_QUERY for a malformed query", async () => {
    expect((await callError(client, "state_get", { query: "$[?(" })).code).toBe("E_INVALID_QUERY");
    expect((await callError(client, "state_get", { query: "tasks" })).code).toBe("E_INVALID_QUERY");
  });

  it("E_INVALID_PATH for an invalid id or document name", async () => {
    expect((await callError(client, "session_get", { id: "../x" })).code).toBe("E_INVALID_PATH");
  });

  it("E_CONFIG for a project config the schema refuses", async () => {
    const e = await callError(client, "batch", {
      operations: [{ op: "config.set", project: "bad", config: { maxConcurrentAgents: "many" } }],
    });
    expect(e.code).toBe("E_CONFIG");
  });
});

describe("bounds", () => {
  it("a result over the size cap is a JSON truncation note with a preview", async () => {
    await cli(["--store", url, "state", "set", "/blob", JSON.stringify("x".repeat(100_000)), "--doc", "big"]);
    const r = await call(client, "state_get", { doc: "big" });
    expect(r).toMatchObject({ truncated: true, maxBytes: 65_536 });
    expect(r.bytes).toBeGreaterThan(100_000);
    expect(r.preview.startsWith('{"document":"big"')).toBe(true);
    expect(r.hint).toContain("JSON Pointer");
    expect((await call(client, "state_get", { doc: "big", query: "/blob" })).truncated).toBe(true);
    expect(await call(client, "state_get", { doc: "big", query: "$.missing" })).toMatchObject({ values: [] });
  });

  it("no tool argument reaches outside the store: traversal ids create no file anywhere", async () => {
    const before = readdirSync(dir).sort();
    const hostile = ["../x", "/etc/passwd", "a/../../b", "..\\x", "a\u0000b", "x".repeat(10_000), "\u2025\u2025", ".hidden"];
    for (const id of hostile) {
      expect((await callError(client, "state_set", { doc: id, pointer: "/a", value: 1 })).code, id).toBe("E_INVALID_PATH");
      expect((await callError(client, "state_set", { session: id, pointer: "/a", value: 1 })).code, id).toBe("E_INVALID_PATH");
      expect((await callError(client, "session_create", { id })).code, id).toBe("E_INVALID_PATH");
      expect((await callError(client, "agent_list", { sessionId: id })).code, id).toBe("E_INVALID_PATH");
    }
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readdirSync(join(dir, ".."))).not.toContain("x");
  });
});
