import { join } from "node:path";
import { tempDir, removeDir } from "@statehouse/conformance/testing";
import { ConflictError, NotFoundError, type Store, isStatehouseError, open as openLocal } from "@statehouse/core";
import { type App, createApp } from "@statehouse/server";
import { open } from "@statehouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

async function kind(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no error";
  } catch (err) {
    return isStatehouseError(err) ? err.code : `untyped ${(err as Error)?.name}`;
  }
}

describe("@statehouse/client", () => {
  let dir: string;
  let store: Store;
  let app: App;
  let tcp: App;
  let socket: string;
  let port: number;
  const TOKEN = "t0ken-with-enough-entropy";

  beforeAll(async () => {
    dir = tempDir("client-test").dir;
    store = await openLocal(`sqlite:${dir}/store.db`);
    app = await createApp({ store, storeUrl: `sqlite:${dir}/store.db` });
    socket = join(dir, "s.sock");
    await app.listen({ path: socket });
    // The same store on loopback TCP behind a bearer-token check (the daemon supplies its own hook).
    tcp = await createApp({
      store,
      auth: (r) => (r.headers.authorization === `Bearer ${TOKEN}` ? undefined : { status: 401, detail: "missing or wrong token" }),
    });
    await tcp.listen({ host: "127.0.0.1", port: 0 });
    port = (tcp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
    await tcp.close();
    await store.close();
    removeDir(dir);
  });

  it("errors come back as the library's classes with their details", async () => {
    const remote = await open(`unix:${socket}`);
    await remote.state("e").set("/a", 1);
    const err = await remote
      .state("e")
      .set("/a", 2, { ifRevision: 5 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect([err.code, err.currentRevision]).toEqual(["E_CONFLICT", 1]);
    expect(await remote.sessions.get("nope").catch((e) => e)).toBeInstanceOf(NotFoundError);
    expect(await remote.sessions.find("nope")).toBeUndefined();
    expect(await kind(remote.state("e").set("/a", Number.NaN as never))).toBe("E_VALIDATION");
    expect(await kind(remote.state("e").get("no-slash"))).toBe("E_INVALID_QUERY");
    // As in the library, naming a bad document throws at once.
    expect(() => remote.state("../x")).toThrow(expect.objectContaining({ code: "E_INVALID_PATH" }));
    expect(await kind(remote.state("e").increment("/a", Number.POSITIVE_INFINITY))).toBe("E_VALIDATION");
    expect(await store.state("e").read()).toEqual({ value: { a: 1 }, revision: 1 });
    await remote.close();
    expect(await kind(remote.state("e").get())).toBe("E_CLOSED");
  });

  it("update(fn) is read + conditional write + retry: concurrent updates lose nothing", async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => open(`unix:${socket}`)));
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 25; i++)
          await c.state("u").update((cur) => ({ n: ((cur as { n?: number } | undefined)?.n ?? 0) + 1 }), { maxAttempts: 500 });
      }),
    );
    expect(await store.state("u").read()).toEqual({ value: { n: 100 }, revision: 100 });
    for (const c of clients) await c.close();
  });

  it("paging cursors and batch round-trip", async () => {
    const remote = await open(`unix:${socket}`);
    for (let i = 0; i < 7; i++) await remote.sessions.create({ id: `pg-${i}`, project: "paging" });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await remote.sessions.list({ project: "paging", direction: "asc", limit: 3, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.items.map((s) => s.id));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `pg-${i}`));
    const results = await remote.batch([
      { op: "state.increment", session: "pg-0", pointer: "/calls" },
      { op: "session.end", id: "pg-1", status: "failed" },
    ]);
    expect(results[0]).toMatchObject({ value: 1, revision: 1 });
    expect((await remote.sessions.get("pg-1")).status).toBe("failed");
    expect(await remote.sessions.count("failed")).toBe(1);
    expect((await remote.snapshot()).sessionsByStatus.failed).toBe(1);
    await remote.close();
  });

  it("http://127.0.0.1:PORT with { token }; a missing or wrong token is refused with E_PERMISSION", async () => {
    const good = await open(`http://127.0.0.1:${port}`, { token: TOKEN });
    expect((await good.state().increment("/tcp")).value).toBe(1);
    await good.close();
    const bad = await open(`http://127.0.0.1:${port}`, { token: "wrong" });
    const err = await bad
      .state()
      .get()
      .catch((e) => e);
    expect([err.code, err.details.status]).toEqual(["E_PERMISSION", 401]);
    await bad.close();
    const none = await open(`http://127.0.0.1:${port}`);
    expect(await kind(none.state().get())).toBe("E_PERMISSION");
    await none.close();
  });

  it("an absent socket or a closed port gives E_UNAVAILABLE", async () => {
    const absent = await open(`unix:${join(dir, "no-such.sock")}`);
    const err = await absent
      .state()
      .get()
      .catch((e) => e);
    expect([err.code, err.name]).toEqual(["E_UNAVAILABLE", "UnavailableError"]);
    await absent.close();
    const refused = await open("http://127.0.0.1:1");
    expect(await kind(refused.sessions.list())).toBe("E_UNAVAILABLE");
    await refused.close();
    expect(await kind(open("ftp://x"))).toBe("E_VALIDATION");
  });
});
