import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { open } from "@statehouse/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callError, connect, tempDir } from "./helpers.js";

// idempotencyKey on every write tool, through the SDK's client against two real `statehouse mcp`
// processes over stdio on one SQLite store: the retry comes from the other process, as a client
// that lost its first server's answer would send it.
let dir: string;
let url: string;
let a: Client;
let b: Client;

beforeAll(async () => {
  dir = tempDir();
  url = `sqlite:${join(dir, "state.db")}`;
  [{ client: a }, { client: b }] = await Promise.all([connect(url), connect(url)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const WRITE_TOOLS = [
  "state_set",
  "state_patch",
  "state_merge",
  "state_increment",
  "session_create",
  "session_end",
  "agent_spawn",
  "agent_heartbeat",
  "batch",
];

/** A result with its write results' `sequence` fields left out, at any depth. */
function withoutSequence(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSequence);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (k === "sequence" ? [] : [[k, withoutSequence(x)]])));
}

async function sequence(): Promise<number> {
  const store = await open(url);
  try {
    return await store.sequence();
  } finally {
    await store.close();
  }
}

describe("idempotencyKey on the MCP write tools", () => {
  it("every write tool lists an optional idempotencyKey", async () => {
    const { tools } = await a.listTools();
    for (const name of WRITE_TOOLS) {
      const t = tools.find((x) => x.name === name);
      expect(t, name).toBeDefined();
      expect(Object.keys(t!.inputSchema.properties ?? {}), name).toContain("idempotencyKey");
      expect(t!.inputSchema.required ?? [], name).not.toContain("idempotencyKey");
    }
  });

  it("a retried call with the same key (from another process) applies once and returns the first result", async () => {
    const session = await call(a, "session_create", { name: "keyed", idempotencyKey: "k-session" });
    expect(await call(b, "session_create", { name: "keyed", idempotencyKey: "k-session" })).toEqual(session);
    const agent = await call(a, "agent_spawn", { sessionId: session.id, role: "coder", idempotencyKey: "k-agent" });
    expect(await call(b, "agent_spawn", { sessionId: session.id, role: "coder", idempotencyKey: "k-agent" })).toEqual(agent);
    const calls: Array<[string, Record<string, unknown>]> = [
      ["state_increment", { pointer: "/n", by: 2, idempotencyKey: "k-incr" }],
      ["state_set", { pointer: "/s", value: "x", idempotencyKey: "k-set" }],
      ["state_merge", { patch: { m: 1 }, idempotencyKey: "k-merge" }],
      ["state_patch", { operations: [{ op: "add", path: "/list", value: [] }], idempotencyKey: "k-patch" }],
      ["batch", { operations: [{ op: "state.increment", pointer: "/b" }], idempotencyKey: "k-batch" }],
      ["agent_heartbeat", { id: agent.id, idempotencyKey: "k-beat" }],
      ["session_end", { id: session.id, idempotencyKey: "k-end" }],
    ];
    for (const [tool, args] of calls) {
      const first = await call(a, tool, args);
      const seq = await sequence();
      // The first answer's sequence is the commit's; a replay commits nothing, so it has none of its own.
      expect(withoutSequence(await call(b, tool, args)), `${tool}: the retry's result is the first one's`).toEqual(withoutSequence(first));
      expect(await sequence(), `${tool}: a retry commits nothing`).toBe(seq);
    }
    const doc = await call(a, "state_get", {});
    expect(doc.value).toEqual({ n: 2, s: "x", m: 1, list: [], b: 1 });
    expect((await call(a, "agent_list", { sessionId: session.id })).agents).toHaveLength(1);
  });

  it("the same key with a different payload is refused with the library's E_CONFLICT, in the package's error shape; nothing changes", async () => {
    await call(a, "state_increment", { pointer: "/c", by: 1, idempotencyKey: "k-reuse" });
    const seq = await sequence();
    const e = await callError(b, "state_increment", { pointer: "/c", by: 5, idempotencyKey: "k-reuse" });
    expect(e.code).toBe("E_CONFLICT");
    expect(e.error).toMatchObject({ code: "E_CONFLICT", reason: "idempotency-key-reused" });
    expect(e.text).toContain("do not retry with this key");
    const other = await callError(a, "state_set", { pointer: "/c", value: 0, idempotencyKey: "k-reuse" });
    expect(other.code).toBe("E_CONFLICT");
    const bad = await callError(a, "state_set", { pointer: "/c", value: 0, idempotencyKey: "" });
    expect(bad.code).toBe("E_VALIDATION");
    expect(await sequence()).toBe(seq);
    expect((await call(a, "state_get", { query: "/c" })).value).toBe(1);
  });
});
