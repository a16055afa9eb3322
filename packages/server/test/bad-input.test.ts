import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

/** A raw client that sends `text` one byte every `everyMs`; resolves with what it got and when the server closed it. */
function trickle(socket: string, text: string, everyMs: number): Promise<{ closedAfterMs: number; sent: number; answer: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const conn = connect(socket);
    let sent = 0;
    let answer = "";
    conn.setEncoding("utf8");
    conn.on("data", (c: string) => {
      answer += c;
    });
    const timer = setInterval(() => {
      if (sent < text.length && !conn.destroyed) conn.write(text[sent++]!);
    }, everyMs);
    const done = () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - t0, sent, answer });
    };
    conn.on("close", done);
    conn.on("error", () => undefined);
  });
}

describe("bad input: typed answers, bounded work, the daemon keeps serving, nothing in the store changes", () => {
  let s: Served;
  let before: number;
  beforeAll(async () => {
    s = await serve((dir) => `sqlite:${dir}/store.db`, {
      limits: { bodyBytes: 64 * 1024, headersTimeoutMs: 2_000, requestTimeoutMs: 3_000, timeoutCheckMs: 250, eventStreams: 64 },
    });
    await s.store.state().replace({ counter: 1, big: Array.from({ length: 30_000 }, (_, i) => ({ i, tags: ["a", "b"] })) });
    before = await s.store.sequence();
  });
  afterAll(async () => {
    expect(await s.store.sequence(), "no change set was committed by any bad request").toBe(before);
    expect(await s.store.state().get("/counter")).toBe(1);
    await s.close();
  });

  it("malformed JSON → 400; a body over the limit → 413; deep nesting → 422, each a problem with its code", async () => {
    const malformed = await call(s.socket, "PUT", "/v1/state/global?pointer=/counter", "{not json");
    expect([malformed.status, malformed.json.code, malformed.headers["content-type"]]).toEqual([
      400,
      "E_VALIDATION",
      "application/problem+json; charset=utf-8",
    ]);
    const big = await call(s.socket, "PUT", "/v1/state/global?pointer=/x", JSON.stringify("x".repeat(70 * 1024)));
    expect([big.status, big.json.code]).toEqual([413, "E_VALIDATION"]);
    const t0 = performance.now();
    const deep = await call(s.socket, "PUT", "/v1/state/global?pointer=/x", "[".repeat(30_000) + "]".repeat(30_000));
    expect([deep.status, deep.json.code]).toEqual([422, "E_VALIDATION"]);
    expect(performance.now() - t0).toBeLessThan(2_000);
    const d65 = await call(s.socket, "PUT", "/v1/state/global?pointer=/x", "[".repeat(65) + "]".repeat(65));
    expect([d65.status, d65.json.code]).toEqual([422, "E_VALIDATION"]);
    const notJsonType = await call(s.socket, "PUT", "/v1/state/global?pointer=/x", "1", { "content-type": "text/plain" });
    expect([notJsonType.status, notJsonType.json.code]).toEqual([415, "E_VALIDATION"]);
  });

  it("a query over its budget → 400 E_INVALID_QUERY; a bad pointer → 400 E_INVALID_PATH", async () => {
    const q = await call(s.socket, "GET", `/v1/state/global?query=${encodeURIComponent("$..*")}`);
    expect([q.status, q.json.code]).toEqual([400, "E_INVALID_QUERY"]);
    const syntax = await call(s.socket, "GET", `/v1/state/global?query=${encodeURIComponent("$[?(@.a")}`);
    expect([syntax.status, syntax.json.code]).toEqual([400, "E_INVALID_QUERY"]);
    const ptr = await call(s.socket, "GET", "/v1/state/global?pointer=counter");
    expect([ptr.status, ptr.json.code]).toEqual([400, "E_INVALID_PATH"]);
  });

  it("path tricks in URLs (.., encoded slashes and dots, __proto__) are refused or harmless", async () => {
    for (const path of [
      "/v1/state/..",
      "/v1/state/%2E%2E",
      "/v1/state/a%2Fb",
      "/v1/state/..%2F..%2Fetc",
      "/v1/sessions/%2E%2E%2Fx/state",
    ]) {
      const r = await call(s.socket, "PUT", `${path}?pointer=/x`, "1");
      expect([r.status, r.json.code], path).toEqual([400, "E_INVALID_PATH"]);
    }
    for (const path of ["/v1/state/../sessions", "/v1/state/global/../../x", "/v1/%2E%2E/state/global"]) {
      const r = await call(s.socket, "PUT", `${path}?pointer=/x`, "1");
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).toBeLessThan(500);
    }
    const proto = await call(s.socket, "PUT", "/v1/state/global?pointer=/__proto__/polluted", "true");
    expect(proto.status).toBeGreaterThanOrEqual(400);
    const body = await call(s.socket, "PATCH", "/v1/state/global", '{"__proto__":{"polluted":true}}', {
      "content-type": "application/merge-patch+json",
    });
    expect(body.status).toBeGreaterThanOrEqual(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("1,000 concurrent event streams: at most the cap are served, the rest get 503 with Retry-After; others unaffected", async () => {
    const { SseClient } = await import("./sse.js");
    // Opened in waves of 100: a unix socket's listen backlog refuses (EAGAIN) a burst of 1,000 connects
    // before the server sees them; all 1,000 are open together at the end.
    const clients: InstanceType<typeof SseClient>[] = [];
    try {
      for (let wave = 0; wave < 10; wave++) {
        const batch = Array.from({ length: 100 }, () => new SseClient(s.socket));
        clients.push(...batch);
        await Promise.all(batch.map((c) => c.ready));
      }
      const statuses = clients.map((c) => c.status);
      expect(statuses.filter((x) => x === 200).length).toBe(64);
      expect(statuses.filter((x) => x === 503).length).toBe(1_000 - 64);
      expect(clients.find((c) => c.status === 503)!.headers["retry-after"]).toBe("5");
      expect(s.app.statehouse.events.active).toBe(64);
      expect((await call(s.socket, "GET", "/v1/health")).status).toBe(200);
    } finally {
      for (const c of clients) c.close();
    }
    const t0 = Date.now();
    while (s.app.statehouse.events.active > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(s.app.statehouse.events.active).toBe(0);
  });

  it("a client sending one byte per second is cut off (headers, then body); other clients are served meanwhile", async () => {
    const slowHeaders = trickle(s.socket, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 1_000);
    const slowBody = trickle(
      s.socket,
      `PUT /v1/state/global?pointer=/counter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n`,
      1,
    );
    // The slow-body client sends its headers at once, then one body byte per second.
    const served: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      expect((await call(s.socket, "GET", "/v1/health")).status).toBe(200);
      served.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    const h = await slowHeaders;
    expect(h.closedAfterMs).toBeLessThan(6_000);
    expect(h.sent).toBeLessThan(10);
    const b = await slowBody;
    expect(b.closedAfterMs).toBeLessThan(8_000);
    expect(b.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Math.max(...served)).toBeLessThan(1_000);
  });
});
