import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { runChild, removeDir } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, FIXTURES, call, callError, cli, connect, tempDir } from "./helpers.js";

// Several processes on one SQLite store: MCP servers, MCP clients, and the CLI writing directly.
let dir: string;
let url: string;
const clients: Client[] = [];

beforeAll(() => {
  dir = tempDir();
  url = `sqlite:${join(dir, "state.db")}`;
});

afterAll(async () => {
  for (const c of clients) await c.close();
  removeDir(dir);
});

async function client(): Promise<Client> {
  const { client } = await connect(url);
  clients.push(client);
  return client;
}

async function runIncrementClient(count: number): Promise<{ code: number | null; acks: number; stderr: string }> {
  const r = await runChild(join(FIXTURES, "increment-client.mjs"), [BIN, url, String(count)]).done;
  return { code: r.code, acks: r.stdout.split("\n").filter((l) => l.startsWith("ack ")).length, stderr: r.stderr };
}

describe("contention between processes", () => {
  it("two clients in two processes, each through its own server, lose no state_increment", async () => {
    const N = 100;
    const [a, b] = await Promise.all([runIncrementClient(N), runIncrementClient(N)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.acks + b.acks).toBe(2 * N);
    const r = await cli(["--store", url, "--json", "state", "get", "/counter"]);
    expect(JSON.parse(r.stdout).value).toBe(2 * N);
  });

  it("of two conditional writes on the same revision, exactly one wins; the loser learns the current revision", async () => {
    const [c1, c2] = await Promise.all([client(), client()]);
    for (let round = 0; round < 5; round++) {
      const { revision } = await call(c1, "state_get", { doc: "race" });
      const attempts = await Promise.all(
        [c1, c2].map((c, i) =>
          c.callTool({ name: "state_set", arguments: { doc: "race", pointer: "/winner", value: i, expectedRevision: revision } }),
        ),
      );
      const won = attempts.filter((r) => !r.isError);
      const lost = attempts.filter((r) => r.isError);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const text = (lost[0]!.content as { text: string }[])[0]!.text;
      expect(text).toMatch(/^E_CONFLICT: /);
      expect(text).toContain(`re-read and retry with expectedRevision ${revision + 1}`);
      expect((lost[0]!.structuredContent as { error: { currentRevision: number } }).error.currentRevision).toBe(revision + 1);
      // The winner's value is what is stored.
      const winner = JSON.parse((won[0]!.content as { text: string }[])[0]!.text);
      expect(winner.revision).toBe(revision + 1);
      const stored = await call(c2, "state_get", { doc: "race", query: "/winner" });
      expect(stored.revision).toBe(revision + 1);
      expect(stored.value).toBe(attempts.indexOf(won[0]!));
    }
  });
});

describe("resource subscriptions", () => {
  it("notify a subscriber of writes made by the CLI in another process, and only of subscribed resources", async () => {
    const c = await client();
    const updates: string[] = [];
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    const waitFor = async (uri: string) => {
      const t0 = Date.now();
      while (!updates.includes(uri)) {
        if (Date.now() - t0 > 20_000) throw new Error(`no notification for ${uri}; got ${JSON.stringify(updates)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await c.subscribeResource({ uri: "statehouse://state/global" });
    await c.subscribeResource({ uri: "statehouse://sessions" });
    expect((await cli(["--store", url, "state", "set", "/fromCli", "1", "--doc", "other"])).code).toBe(0);
    expect((await cli(["--store", url, "state", "set", "/fromCli", "1"])).code).toBe(0);
    await waitFor("statehouse://state/global");
    // The read after the notification sees the write.
    const read = await c.readResource({ uri: "statehouse://state/global" });
    expect(JSON.parse((read.contents[0] as { text: string }).text).value.fromCli).toBe(1);
    const created = await cli(["--store", url, "--plain", "session", "create", "--name", "from-cli"]);
    expect(created.code).toBe(0);
    await waitFor("statehouse://sessions");
    expect(updates).not.toContain("statehouse://state/other");
    // A session's state document, subscribed by its URI.
    const id = created.stdout.trim();
    const uri = `statehouse://sessions/${id}/state`;
    await c.subscribeResource({ uri });
    await cli(["--store", url, "state", "incr", "/n", "--session", id]);
    await waitFor(uri);
    // After unsubscribing, no more notifications for it.
    await c.unsubscribeResource({ uri: "statehouse://state/global" });
    const seen = updates.filter((u) => u === "statehouse://state/global").length;
    await cli(["--store", url, "state", "set", "/again", "2"]);
    await cli(["--store", url, "state", "incr", "/n", "--session", id]);
    await waitFor(uri);
    while (updates.filter((u) => u === uri).length < 2) await new Promise((r) => setTimeout(r, 25));
    expect(updates.filter((u) => u === "statehouse://state/global").length).toBe(seen);
  });
});

describe("the server keeps serving after errors", () => {
  it("answers a call after a conflicting one", async () => {
    const c = await client();
    await call(c, "state_set", { doc: "keep", pointer: "/a", value: 1 });
    expect((await callError(c, "state_set", { doc: "keep", pointer: "/a", value: 2, expectedRevision: 7 })).code).toBe("E_CONFLICT");
    expect((await call(c, "state_get", { doc: "keep", query: "/a" })).value).toBe(1);
  });
});
