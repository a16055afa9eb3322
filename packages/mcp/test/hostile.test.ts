import { join } from "node:path";
import { removeDir } from "@statehouse/conformance/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callError, cli, connect, rawSession, tempDir } from "./helpers.js";

// Hostile tool arguments: each answered with a tool error, nothing stored, and the same server
// process answers the next ordinary call.
let dir: string;
let url: string;
let client: Client;
let stderr: () => string;

beforeAll(async () => {
  dir = tempDir();
  url = `sqlite:${join(dir, "state.db")}`;
  ({ client, stderr } = await connect(url));
  await call(client, "state_set", { pointer: "/ok", value: 1 });
});

afterAll(async () => {
  await client?.close();
  removeDir(dir);
});

/** The server still serves, and the global document is exactly as the test left it. */
async function stillServing(): Promise<void> {
  const r = await call(client, "state_get");
  expect(r.value).toEqual({ ok: 1 });
}

function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("hostile arguments", () => {
  it("oversized: a value over the store's 16 MiB record limit", async () => {
    const e = await callError(client, "state_set", { pointer: "/big", value: "x".repeat(17 * 1024 * 1024) });
    expect(e.code).toBe("E_VALIDATION");
    await stillServing();
  });

  it("oversized: more elements than a tool call may carry", async () => {
    const e = await callError(client, "state_set", { pointer: "/many", value: new Array(150_000).fill(0) });
    expect(e.code).toBe("E_VALIDATION");
    expect(e.text).toContain("elements");
    await stillServing();
  });

  it("deep: nesting past the depth limit, by a little and by a lot", async () => {
    expect((await callError(client, "state_set", { pointer: "/deep", value: nested(65) })).code).toBe("E_VALIDATION");
    expect((await callError(client, "state_merge", { patch: { a: nested(100) } })).code).toBe("E_VALIDATION");
    // Depth 63 under a one-level document is the limit, and round-trips.
    await call(client, "state_set", { doc: "deep", pointer: "/d", value: nested(62) });
    expect((await call(client, "state_get", { doc: "deep", query: "/d" })).value).toEqual(nested(62));
    await stillServing();
  });

  it("raw messages the SDK's client would not send: depth 5,000 and 100,000, a message over the 32 MiB bound, garbage", async () => {
    const raw = await rawSession(url);
    try {
      for (const depth of [5_000, 100_000]) {
        const text =
          `{"jsonrpc":"2.0","id":${depth},"method":"tools/call","params":{"name":"state_set","arguments":` +
          `{"pointer":"/deep","value":${"[".repeat(depth)}${"]".repeat(depth)}}}}`;
        const answered = new Promise<any>((resolve) => {
          void raw.request("ping", {}).then(() => resolve("next"));
        });
        raw.sendLine(text);
        // Either the call is answered with a tool error, or the line is refused as unparsable; the server serves on.
        expect(await answered).toBe("next");
      }
      const big = JSON.stringify({
        jsonrpc: "2.0",
        id: 9999,
        method: "tools/call",
        params: { name: "state_set", arguments: { pointer: "/x", value: "y".repeat(33 * 1024 * 1024) } },
      });
      const refused = new Promise<any>((resolve) => {
        void raw.request("tools/call", { name: "state_get", arguments: {} }).then(resolve);
      });
      const bigAnswer = raw.response(9999);
      raw.sendLine(big);
      const answer = await bigAnswer;
      expect(answer.result.isError).toBe(true);
      expect(answer.result.content[0].text).toMatch(/^E_VALIDATION: the request is \d+ bytes, over the limit of 33554432 bytes/);
      const after = await refused;
      expect(JSON.parse(after.result.content[0].text).value).toEqual({ ok: 1 });
      raw.sendLine("this is not json");
      const r = await raw.request("tools/call", { name: "state_increment", arguments: { doc: "raw", pointer: "/n" } });
      expect(JSON.parse(r.result.content[0].text).value).toBe(1);
      expect(raw.stderr()).toContain("statehouse mcp: Unexpected token");
    } finally {
      await raw.close();
    }
    await stillServing();
  });

  it("__proto__ in values, pointers, merge and JSON patches pollutes nothing and stores nothing", async () => {
    const proto = JSON.parse('{"__proto__": {"polluted": true}}');
    expect((await callError(client, "state_set", { pointer: "/p", value: proto })).code).toBe("E_VALIDATION");
    expect((await callError(client, "state_merge", { patch: proto })).code).toBe("E_VALIDATION");
    const viaPointer = await callError(client, "state_set", { pointer: "/__proto__/polluted", value: true });
    expect(["E_VALIDATION", "E_INVALID_PATH"]).toContain(viaPointer.code);
    const viaPatch = await callError(client, "state_patch", { operations: [{ op: "add", path: "/__proto__/polluted", value: true }] });
    expect(["E_VALIDATION", "E_INVALID_PATH"]).toContain(viaPatch.code);
    const viaIncrement = await callError(client, "state_increment", { pointer: "/__proto__/n" });
    expect(["E_VALIDATION", "E_INVALID_PATH"]).toContain(viaIncrement.code);
    expect((await callError(client, "session_create", { metadata: proto })).code).toBe("E_VALIDATION");
    // constructor/prototype are ordinary keys: stored as data, never reaching a prototype.
    await call(client, "state_set", { doc: "proto", pointer: "/constructor/prototype/x", value: 1 });
    expect((await call(client, "state_get", { doc: "proto" })).value).toEqual({ constructor: { prototype: { x: 1 } } });
    expect((await call(client, "session_list", {})).sessions).toEqual([]);
    await stillServing();
  });

  it("over-budget queries are refused with E_INVALID_QUERY within the query budget", async () => {
    // 300,000 nodes, written by the CLI from stdin (too many elements for one tool call).
    const big = { rows: Array.from({ length: 1000 }, (_, i) => Array.from({ length: 300 }, (_, j) => i * 300 + j)) };
    const w = await cli(["--store", url, "state", "merge", "-", "--doc", "huge"], JSON.stringify(big));
    expect(w.code, w.stderr).toBe(0);
    const t0 = Date.now();
    const e = await callError(client, "state_get", { doc: "huge", query: "$..*" });
    expect(e.code).toBe("E_INVALID_QUERY");
    expect(Date.now() - t0).toBeLessThan(10_000);
    // A long union list and a descendant filter over everything.
    const union = `$.rows[${Array.from({ length: 5000 }, (_, i) => i % 1000).join(",")}][*]`;
    expect((await callError(client, "state_get", { doc: "huge", query: union })).code).toBe("E_INVALID_QUERY");
    expect((await callError(client, "state_get", { doc: "huge", query: "$..[?@ > 5]" })).code).toBe("E_INVALID_QUERY");
    // A narrow query on the same document is answered.
    expect((await call(client, "state_get", { doc: "huge", query: "/rows/999/299" })).value).toBe(299_999);
    await stillServing();
  });

  it("listing limits past core's maximum are refused", async () => {
    expect((await callError(client, "session_list", { limit: 10_001 })).code).toBe("E_VALIDATION");
    expect((await callError(client, "agent_list", { limit: -1 })).code).toBe("E_VALIDATION");
    expect((await callError(client, "changes_since", { since: 0, limit: 5000 })).code).toBe("E_VALIDATION");
    expect((await callError(client, "session_list", { cursor: "not-a-cursor" })).code).toMatch(/^E_(VALIDATION|INVALID_QUERY)$/);
    await stillServing();
  });

  it("an unknown tool and a malformed resource URI are refused; the server's stderr holds no crash", async () => {
    const r = await client.callTool({ name: "state_drop_everything", arguments: {} });
    expect(r.isError).toBe(true);
    await expect(client.readResource({ uri: "statehouse://state/..%2F..%2Fetc" })).rejects.toThrow(/E_INVALID_PATH/);
    await expect(client.readResource({ uri: "statehouse://sessions/ses_none" })).rejects.toThrow(/E_NOT_FOUND/);
    await expect(client.readResource({ uri: "statehouse://config/%E0%A4%A" })).rejects.toThrow(/E_INVALID_PATH/);
    await stillServing();
    expect(stderr()).not.toMatch(/Unhandled|TypeError|RangeError/);
  });
});
