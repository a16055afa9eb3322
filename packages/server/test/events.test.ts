import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { evalChild } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";
import { SseClient } from "./sse.js";

const CORE = fileURLToPath(new URL("../node_modules/@statehouse/core/dist/index.js", import.meta.url));

let served: Served | undefined;
const clients: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await served?.close();
  served = undefined;
});

function stream(s: Served, path = "/v1/events", headers: Record<string, string> = {}): SseClient {
  const c = new SseClient(s.socket, path, headers);
  clients.push(c);
  return c;
}

describe("GET /v1/events (server-sent events)", () => {
  it("streams each committed change set once, in order, ids = sequence; resumes with Last-Event-ID and ?since=", async () => {
    served = await serve((dir) => `file:${dir}/store`);
    const s = served;
    const live = stream(s);
    await live.ready;
    expect([live.status, live.headers["content-type"]]).toEqual([200, "text/event-stream"]);
    for (let i = 0; i < 5; i++) await call(s.socket, "POST", "/v1/state/global/increment", { pointer: "/n" });
    await live.until(() => live.changeSequences().length === 5);
    expect(live.changeSequences()).toEqual([1, 2, 3, 4, 5]);
    const first = JSON.parse(live.events[0]!.data!);
    // The document's own entry, then its history record (written in the same transaction; see core's history).
    expect(first).toMatchObject({
      sequence: 1,
      changes: [
        { type: "put", collection: "state", id: "global", revision: 1 },
        { type: "put", collection: "history-meta", id: "g.global", revision: 1 },
      ],
    });

    const resumed = stream(s, "/v1/events", { "last-event-id": "2" });
    await resumed.until(() => resumed.changeSequences().length === 3);
    const bySince = stream(s, "/v1/events?since=4");
    await bySince.until(() => bySince.changeSequences().length === 1);
    await call(s.socket, "POST", "/v1/state/global/increment", { pointer: "/n" });
    await resumed.until(() => resumed.changeSequences().length === 4);
    await bySince.until(() => bySince.changeSequences().length === 2);
    await live.until(() => live.changeSequences().length === 6);
    expect(resumed.changeSequences()).toEqual([3, 4, 5, 6]);
    expect(bySince.changeSequences()).toEqual([5, 6]);
    expect(live.changeSequences()).toEqual([1, 2, 3, 4, 5, 6]);
    const bad = await call(s.socket, "GET", "/v1/events", undefined, { "last-event-id": "abc" });
    expect([bad.status, bad.json.code]).toEqual([400, "E_VALIDATION"]);
  });

  it("a write by another process, straight to the store, appears on the stream", async () => {
    served = await serve((dir) => `file:${dir}/store`);
    const s = served;
    const live = stream(s);
    await live.ready;
    const url = `file:${s.dir}/store`;
    const script = `const { open } = await import(${JSON.stringify(CORE)}); const st = await open(${JSON.stringify(url)});
      await st.state("direct").set("/by", "other process"); await st.close();`;
    const r = await evalChild(script).done;
    expect(r.code, r.stderr).toBe(0);
    await live.until(() => live.changeSequences().length === 1);
    expect(JSON.parse(live.events[0]!.data!).changes[0]).toMatchObject({ collection: "state", id: "direct" });
  });

  it("an id older than the change log's retention gets a reset event (as store.watch's), then every retained change set and live ones", async () => {
    served = await serve((dir) => `file:${dir}/store`, {});
    const s = served;
    await s.store.close();
    // Reopened with a short retention: the file adapter keeps only the last 3 change sets, folding every 2 commits.
    const { open } = await import("@statehouse/core");
    const store = await open(`file:${s.dir}/store`, { changeRetention: 3, foldEvery: 2 } as never);
    await s.app.close();
    const { createApp } = await import("@statehouse/server");
    const app = await createApp({ store });
    const socket = `${s.dir}/s2.sock`;
    await app.listen({ path: socket });
    served = { ...s, socket, app, store: store as never };
    for (let i = 0; i < 30; i++) await store.state().increment("/n");
    const oldest = (await store.changes(0))[0]!.sequence;
    expect(oldest, "the adapter trimmed its change log").toBeGreaterThan(2);
    const c = new SseClient(socket, "/v1/events", { "last-event-id": "1" });
    clients.push(c);
    await c.until(() => c.events.length >= 1);
    // The id makes a resume start at the oldest retained change set, where the stream carries on.
    expect(c.events[0]).toMatchObject({ event: "reset", id: String(oldest - 1) });
    expect(JSON.parse(c.events[0]!.data!)).toMatchObject({ since: 1, oldest, sequence: 30, from: 1 });
    await store.state().increment("/n");
    const retained = Array.from({ length: 31 - oldest + 1 }, (_, i) => oldest + i);
    await c.until(() => c.changeSequences().length === retained.length);
    expect(c.changeSequences()).toEqual(retained);
    const ahead = new SseClient(socket, "/v1/events?since=500");
    clients.push(ahead);
    await ahead.until(() => ahead.events.length >= 1);
    expect(ahead.events[0]).toMatchObject({ event: "reset", id: "31" });
    expect(JSON.parse(ahead.events[0]!.data!)).toMatchObject({ since: 500, oldest: 32, sequence: 31 });
  });

  it("?collections= and ?session= filter as store.watch does; a dropped tail still moves the id; bad filters are typed errors", async () => {
    served = await serve((dir) => `sqlite:${dir}/store.db`);
    const s = served;
    await s.store.sessions.create({ id: "mine" });
    const early = await s.store.agents.spawn("mine", { role: "early" });
    await s.store.sessions.create({ id: "other" });
    const since = await s.store.sequence();
    const bySession = stream(s, `/v1/events?since=${since}&session=mine`);
    const byCollection = stream(s, `/v1/events?since=${since}&collections=state,tools`);
    await Promise.all([bySession.ready, byCollection.ready]);
    const other = await s.store.agents.spawn("other", { role: "x" });
    await s.store.sessionState("other").set("/a", 1);
    const late = await s.store.agents.spawn("mine", { role: "late" });
    await s.store.sessionState("mine").set("/a", 1);
    await s.store.agents.heartbeat(early.id);
    await s.store.agents.heartbeat(other.id);
    await s.store.state().set("/g", 1);
    await s.store.tools.register({ name: "t" });
    const head = await s.store.sequence();
    const entries = (c: SseClient) =>
      c.events
        .filter((e) => e.event === "change")
        .map((e) =>
          JSON.parse(e.data!)
            .changes.map((x: { collection: string; id: string }) => `${x.collection}/${x.id}`)
            .sort(),
        );
    await bySession.until(() => entries(bySession).length === 3);
    expect(entries(bySession)).toEqual([[`agents/${late.id}`, "sessions/mine"], ["session-state/mine"], [`agents/${early.id}`]]);
    await byCollection.until(() => entries(byCollection).length === 2);
    expect(entries(byCollection)).toEqual([["state/global"], ["tools/t"]]);
    // The change sets after the session's last one were dropped by its filter: an id-only event says how far it read.
    await bySession.until(() => bySession.text.includes(`id: ${head}\n\n`));
    for (const [query, code] of [
      ["session=..%2Fx", "E_INVALID_PATH"],
      ["collections=state,,x", "E_VALIDATION"],
    ] as const) {
      const r = await call(s.socket, "GET", `/v1/events?${query}`);
      expect([r.status >= 400 && r.status < 500, r.json.code], query).toEqual([true, code]);
    }
  });

  it("a client that does not read is dropped once its unsent bytes pass the buffer limit, and counted; readers are unaffected", async () => {
    served = await serve(() => "memory:", { limits: { eventBufferBytes: 256 * 1024 } });
    const s = served;
    const reader = stream(s);
    await reader.ready;
    const stalled = connect(s.socket);
    stalled.on("error", () => undefined);
    stalled.write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
    stalled.pause(); // never reads: the kernel's buffers fill, then the server's queue grows
    let closed = false;
    stalled.on("close", () => {
      closed = true;
    });
    const t0 = Date.now();
    while (s.app.statehouse.events.active < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    let batches = 0;
    while (s.app.statehouse.events.dropped === 0 && batches < 400) {
      await s.store.batch(
        Array.from({ length: 500 }, (_, i) => ({ op: "state.set" as const, doc: `d${i}`, pointer: "/v", value: batches })),
      );
      batches++;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(s.app.statehouse.events.dropped).toBe(1);
    await reader.until(() => reader.changeSequences().length === batches, 30_000);
    expect(reader.changeSequences()).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
    stalled.resume(); // read what the kernel holds: the stream then ends, the server having closed it
    const t1 = Date.now();
    while (!closed && Date.now() - t1 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(closed, "the stalled client's connection was closed").toBe(true);
    expect(s.app.statehouse.events.active).toBe(1);
  });

  it("keep-alive comments flow on an idle stream; close() ends open streams", async () => {
    served = await serve(() => "memory:", { limits: { eventKeepAliveMs: 100 } });
    const s = served;
    const c = stream(s);
    await c.until(() => (c.text.match(/: keep-alive/g) ?? []).length >= 2, 10_000, "keep-alive comments");
    await s.app.close();
    await c.until(() => c.ended, 10_000, "the end of the stream");
  });
});
