import { ConflictError, type Store, type WatchEvent, isStatehouseError, open as openLocal } from "@statehouse/core";
import { type RemoteStore, open } from "@statehouse/client";
import { tempDir } from "@statehouse/conformance/testing";
import { type App, createApp } from "@statehouse/server";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess } from "./serve-process.js";

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "no error";
  } catch (err) {
    return isStatehouseError(err) ? err.code : `untyped ${(err as Error)?.name}`;
  }
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a watch in the background, collecting what it delivers. */
function follow(store: RemoteStore, options: Parameters<RemoteStore["watch"]>[0] = {}) {
  const controller = new AbortController();
  const events: WatchEvent[] = [];
  const done = (async () => {
    for await (const ev of store.watch({ ...options, signal: controller.signal })) events.push(ev);
  })();
  const sequences = () => events.flatMap((e) => (e.type === "changes" ? [e.sequence] : []));
  return { events, sequences, done, stop: () => controller.abort() };
}

describe("RemoteStore.watch over a daemon process", () => {
  it("kill -9 of the daemon mid-stream, writes while it is down, a new daemon: every change set once, in order", async () => {
    const tmp = tempDir("client-watch");
    const storeUrl = `sqlite:${join(tmp.dir, "store.db")}`;
    const socket = join(tmp.dir, "d.sock");
    const direct: Store = await openLocal(storeUrl);
    let server = await startServerProcess(storeUrl, socket);
    const remote = await open(`unix:${socket}`, { watchReconnectMs: 60_000 });
    try {
      const w = follow(remote, { since: 0 });
      for (let i = 0; i < 40; i++) await remote.state().increment("/n");
      await until(() => w.sequences().length === 40, "the first 40");
      server.proc.kill("SIGKILL");
      await server.stop();
      // Written by another process while no daemon runs: the watch must pick them up on its return.
      for (let i = 0; i < 40; i++) await direct.state("direct").increment("/n");
      server = await startServerProcess(storeUrl, socket);
      for (let i = 0; i < 40; i++) await remote.state().increment("/n");
      await until(() => w.sequences().length >= 120, "all 120");
      await new Promise((r) => setTimeout(r, 200));
      expect(w.sequences(), "1..120, each once, in order").toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      expect(w.events.some((e) => e.type === "reset")).toBe(false);
      w.stop();
      await w.done;
    } finally {
      await remote.close();
      await server.stop();
      await direct.close();
      tmp.cleanup();
    }
  });
});

describe("RemoteStore.watch and leases against an in-process app", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let app: App;
  let url: string;
  beforeAll(async () => {
    tmp = tempDir("client-watch-app");
    store = await openLocal(`sqlite:${tmp.dir}/store.db`);
    app = await createApp({ store });
    await app.listen({ path: join(tmp.dir, "s.sock") });
    url = `unix:${join(tmp.dir, "s.sock")}`;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    tmp.cleanup();
  });

  it("break closes the stream, abort ends it cleanly, close() ends it with E_CLOSED; bad options throw at the call", async () => {
    const remote = await open(url);
    const start = await store.sequence();
    // Written once the stream is open, so the loop below gets its event and breaks.
    const writer = until(() => app.statehouse.events.active === 1, "the stream to open").then(() => store.state().set("/b", 1));
    for await (const ev of remote.watch({ since: start })) {
      expect(ev).toMatchObject({ type: "changes", sequence: start + 1 });
      break;
    }
    await writer;
    await until(() => app.statehouse.events.active === 0, "the stream to close after break");

    const w = follow(remote);
    await until(() => app.statehouse.events.active === 1, "the stream to open");
    await remote.state().set("/x", 1);
    await until(() => w.sequences().length === 1, "one change set");
    w.stop();
    await w.done;
    await until(() => app.statehouse.events.active === 0, "the aborted stream to close");

    expect(await codeOf(() => remote.watch({ since: -1 }))).toBe("E_VALIDATION");
    expect(await codeOf(() => remote.watch({ session: "../x" }))).toBe("E_INVALID_PATH");
    expect(await codeOf(() => remote.watch({ collections: ["a", ""] }))).toBe("E_VALIDATION");

    const closing = remote.watch()[Symbol.asyncIterator]();
    const pending = closing.next();
    await until(() => app.statehouse.events.active === 1, "the stream to open");
    await remote.close();
    expect(await codeOf(() => pending)).toBe("E_CLOSED");
    expect(await codeOf(() => remote.watch())).toBe("E_CLOSED");
  });

  it("leases: the library's errors and classes; ifLease travels as the header; a bad fence fails before sending", async () => {
    const remote = await open(url);
    const a = await remote.leases.acquire("r", { holder: "A", ttlMs: 60_000 });
    expect(a).toMatchObject({ name: "r", holder: "A", held: true });
    const err = await remote.leases.acquire("r", { holder: "B", ttlMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.details).toMatchObject({ holder: "A", currentToken: a.token });
    expect(await remote.leases.get("never")).toBeUndefined();
    await remote.state("fenced").set("/by", "A", { ifLease: { name: "r", token: a.token } });
    expect(await remote.leases.release("r", { token: a.token })).toBe(true);
    const refused = await remote
      .state("fenced")
      .set("/by", "late", { ifLease: { name: "r", token: a.token } })
      .catch((e) => e);
    expect([refused.code, refused.details.currentToken]).toEqual(["E_CONFLICT", a.token]);
    const before = await store.sequence();
    expect(await codeOf(() => remote.state("fenced").set("/by", 1, { ifLease: { name: "r", token: 0 } }))).toBe("E_VALIDATION");
    expect(await codeOf(() => remote.state("fenced").set("/by", 1, { ifLease: { name: "../r", token: 1 } }))).toBe("E_INVALID_PATH");
    expect(await codeOf(() => remote.leases.acquire("a/b", { holder: "A", ttlMs: 10 }))).toBe("E_INVALID_PATH");
    expect(await codeOf(() => remote.leases.acquire("r", { holder: "A", ttlMs: 0 }))).toBe("E_VALIDATION");
    expect(await store.sequence()).toBe(before);
    expect(await store.state("fenced").get("/by")).toBe("A");
    await remote.close();
  });
});
