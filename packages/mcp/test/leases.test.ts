import { join } from "node:path";
import { removeDir } from "@statehouse/conformance/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callError, cli, connect, tempDir } from "./helpers.js";

// The lease tools and fenced state writes, through the SDK's client against two real `statehouse mcp`
// processes (two agents) over stdio on one SQLite store.
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
  removeDir(dir);
});

describe("lease tools", () => {
  it("lists lease_acquire, lease_renew and lease_release with their input schemas, and ifLease on the state writes", async () => {
    const { tools } = await a.listTools();
    const acquire = tools.find((t) => t.name === "lease_acquire")!;
    expect(acquire.inputSchema.required?.slice().sort()).toEqual(["holder", "name", "ttlMs"]);
    expect(
      tools
        .find((t) => t.name === "lease_release")!
        .inputSchema.required?.slice()
        .sort(),
    ).toEqual(["name", "token"]);
    expect(
      tools
        .find((t) => t.name === "lease_renew")!
        .inputSchema.required?.slice()
        .sort(),
    ).toEqual(["name", "token"]);
    for (const name of ["state_set", "state_merge", "state_patch", "state_increment"]) {
      expect(Object.keys(tools.find((t) => t.name === name)!.inputSchema.properties ?? {}), name).toContain("ifLease");
    }
  });

  it("acquire; another holder is refused with E_CONFLICT naming the holder; renew; release; the other takes it", async () => {
    const got = await call(a, "lease_acquire", { name: "task:1", holder: "agent-a", ttlMs: 60_000 });
    expect(got).toMatchObject({ name: "task:1", holder: "agent-a", token: 1 });
    expect(Date.parse(got.expiresAt)).toBeGreaterThan(Date.now() + 30_000);

    const e = await callError(b, "lease_acquire", { name: "task:1", holder: "agent-b", ttlMs: 60_000 });
    expect(e.code).toBe("E_CONFLICT");
    expect(e.text).toContain('held by "agent-a"');
    expect(e.text).toContain("do not do the work it guards");
    expect(e.error).toMatchObject({ code: "E_CONFLICT", lease: "task:1", holder: "agent-a", currentToken: 1, expiresAt: got.expiresAt });
    expect(e.error.currentRevision).toBeUndefined();

    // The holder acquiring again extends it and keeps the token.
    expect(await call(a, "lease_acquire", { name: "task:1", holder: "agent-a", ttlMs: 60_000 })).toMatchObject({ token: 1 });
    const renewed = await call(a, "lease_renew", { name: "task:1", token: 1, ttlMs: 120_000 });
    expect(renewed).toMatchObject({ holder: "agent-a", token: 1 });
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(got.expiresAt));

    expect(await call(a, "lease_release", { name: "task:1", token: 1 })).toEqual({ name: "task:1", released: true });
    expect(await call(b, "lease_acquire", { name: "task:1", holder: "agent-b", ttlMs: 60_000 })).toMatchObject({
      holder: "agent-b",
      token: 2,
    });
    // The old token is refused everywhere now, with a sentence saying the lease was lost.
    const stale = await callError(a, "lease_release", { name: "task:1", token: 1 });
    expect(stale.code).toBe("E_CONFLICT");
    expect(stale.text).toContain('You no longer hold lease "task:1" ("agent-b" holds it now)');
    expect(stale.error).toMatchObject({ lease: "task:1", holder: "agent-b", currentToken: 2 });
    expect((await callError(a, "lease_renew", { name: "task:1", token: 1 })).code).toBe("E_CONFLICT");
  });

  it("a lease that expired can be taken by another holder", async () => {
    await call(a, "lease_acquire", { name: "short", holder: "agent-a", ttlMs: 50 });
    await new Promise((r) => setTimeout(r, 120));
    expect(await call(b, "lease_acquire", { name: "short", holder: "agent-b", ttlMs: 60_000 })).toMatchObject({ token: 2 });
    expect(await call(a, "lease_release", { name: "short", token: 1 }).catch((e: Error) => e.message)).toContain("E_CONFLICT");
  });

  it("a fenced write succeeds while the lease is held and is refused after it moved on, writing nothing", async () => {
    const l = await call(a, "lease_acquire", { name: "deploy", holder: "agent-a", ttlMs: 60_000 });
    const fence = { name: "deploy", token: l.token };
    expect(await call(a, "state_set", { doc: "deploys", pointer: "/by", value: "agent-a", ifLease: fence })).toMatchObject({ revision: 1 });
    expect(await call(a, "state_increment", { doc: "deploys", pointer: "/n", ifLease: fence, expectedRevision: 1 })).toMatchObject({
      value: 1,
      revision: 2,
    });

    // The lease moves on: agent-a releases (or stalls past the ttl) and agent-b takes it.
    await call(a, "lease_release", fence);
    const lb = await call(b, "lease_acquire", { name: "deploy", holder: "agent-b", ttlMs: 60_000 });
    expect(lb.token).toBe(l.token + 1);
    await call(b, "state_merge", { doc: "deploys", patch: { by: "agent-b" }, ifLease: { name: "deploy", token: lb.token } });

    for (const [tool, args] of [
      ["state_set", { pointer: "/by", value: "agent-a" }],
      ["state_increment", { pointer: "/n" }],
      ["state_merge", { patch: { by: "agent-a" } }],
      ["state_patch", { operations: [{ op: "replace", path: "/by", value: "agent-a" }] }],
    ] as const) {
      const e = await callError(a, tool, { doc: "deploys", ...args, ifLease: fence });
      expect(e.code, tool).toBe("E_CONFLICT");
      expect(e.text, tool).toContain("no longer current");
      expect(e.error, tool).toMatchObject({ lease: "deploy", holder: "agent-b", currentToken: lb.token });
    }
    // Nothing the stale holder sent was written; another process reads agent-b's value.
    const r = await cli(["--store", url, "--json", "state", "get", "--doc", "deploys"]);
    expect(JSON.parse(r.stdout).value).toEqual({ by: "agent-b", n: 1 });
  });

  it("refuses bad arguments with E_VALIDATION or E_INVALID_PATH and keeps serving", async () => {
    expect((await callError(a, "lease_acquire", { name: "x", holder: "a", ttlMs: 0 })).code).toBe("E_VALIDATION");
    expect((await callError(a, "lease_acquire", { name: "x", holder: "", ttlMs: 1000 })).code).toBe("E_VALIDATION");
    expect((await callError(a, "lease_acquire", { name: "../x", holder: "a", ttlMs: 1000 })).code).toBe("E_INVALID_PATH");
    expect((await callError(a, "lease_release", { name: "x", token: 0 })).code).toBe("E_VALIDATION");
    expect((await callError(a, "state_set", { pointer: "/a", value: 1, ifLease: { name: "x" } })).code).toBe("E_VALIDATION");
    const never = await callError(a, "state_set", { pointer: "/a", value: 1, ifLease: { name: "never", token: 1 } });
    expect(never.code).toBe("E_CONFLICT");
    expect(never.text).toContain("never acquired");
    expect(await call(a, "state_get", { doc: "deploys", query: "/n" })).toMatchObject({ value: 1 });
  });
});
