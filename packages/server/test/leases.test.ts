import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("leases over HTTP (/v1/leases/{name}, the Statehouse-Lease header)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve((dir) => `sqlite:${dir}/store.db`);
  });
  afterAll(async () => s.close());

  it("acquire, conflict naming the holder, renew, get, release; tokens only grow", async () => {
    const a = await call(s.socket, "POST", "/v1/leases/job", { holder: "A", ttlMs: 60_000 });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ name: "job", holder: "A", token: 1, held: true });
    expect(Date.parse(a.json.expiresAt)).toBeGreaterThan(Date.now());
    const b = await call(s.socket, "POST", "/v1/leases/job", { holder: "B", ttlMs: 1000 });
    expect([b.status, b.json.code]).toEqual([409, "E_CONFLICT"]);
    expect(b.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(b.json.detail).toContain('"A"');
    expect(b.json.details).toMatchObject({ lease: "job", holder: "A", currentToken: 1 });
    const renewed = await call(s.socket, "POST", "/v1/leases/job/renew", { token: 1, ttlMs: 120_000 });
    expect([renewed.status, renewed.json.token]).toEqual([200, 1]);
    expect(Date.parse(renewed.json.expiresAt)).toBeGreaterThan(Date.parse(a.json.expiresAt));
    const got = await call(s.socket, "GET", "/v1/leases/job");
    expect(got.json).toMatchObject({ holder: "A", token: 1, held: true });
    // A holder that is not the token's is refused, and nothing is released.
    const wrongHolder = await call(s.socket, "DELETE", "/v1/leases/job", { holder: "B", token: 1 });
    expect([wrongHolder.status, wrongHolder.json.code, wrongHolder.json.details.holder]).toEqual([409, "E_CONFLICT", "A"]);
    const released = await call(s.socket, "DELETE", "/v1/leases/job?holder=A&token=1");
    expect([released.status, released.json]).toEqual([200, { released: true }]);
    expect((await call(s.socket, "GET", "/v1/leases/job")).json).toMatchObject({ holder: null, token: 1, held: false });
    const next = await call(s.socket, "POST", "/v1/leases/job", { holder: "B", ttlMs: 60_000 });
    expect(next.json.token).toBe(2);
    const stale = await call(s.socket, "POST", "/v1/leases/job/renew", { token: 1 });
    expect([stale.status, stale.json.code, stale.json.details.currentToken]).toEqual([409, "E_CONFLICT", 2]);
    expect((await call(s.socket, "GET", "/v1/leases/never")).status).toBe(404);
  });

  it("bad input: lease names with path tricks, bad ttl, holder and token are typed errors; nothing is written", async () => {
    const before = await s.store.sequence();
    for (const name of ["..", "%2e%2e", "a%2Fb", "__proto__%2Fx", "x".repeat(201), "%00"]) {
      const r = await call(s.socket, "POST", `/v1/leases/${name}`, { holder: "A", ttlMs: 10 });
      expect([r.status, r.json?.code], name).toEqual([400, "E_INVALID_PATH"]);
    }
    for (const body of [
      { holder: "A", ttlMs: 0 },
      { holder: "A", ttlMs: "5" },
      { holder: "", ttlMs: 10 },
      { holder: 5, ttlMs: 10 },
    ]) {
      const r = await call(s.socket, "POST", "/v1/leases/ok", body);
      expect([r.status, r.json.code], JSON.stringify(body)).toEqual([422, "E_VALIDATION"]);
    }
    expect((await call(s.socket, "POST", "/v1/leases/ok", "{not json")).status).toBe(400);
    expect((await call(s.socket, "POST", "/v1/leases/ok/renew", { token: -1 })).json.code).toBe("E_VALIDATION");
    expect((await call(s.socket, "DELETE", "/v1/leases/ok")).status).toBe(400);
    expect(await s.store.sequence(), "refused requests commit nothing").toBe(before);
  });

  it("Statehouse-Lease fences every kind of write: accepted with the current token, 409 with the current token once it moved on", async () => {
    const one = (await call(s.socket, "POST", "/v1/leases/w", { holder: "A", ttlMs: 60_000 })).json.token as number;
    const fence = (t: number) => ({ "statehouse-lease": `w;token=${t}` });
    expect((await call(s.socket, "PUT", "/v1/state/f?pointer=/x", 1, fence(one))).status).toBe(200);
    expect((await call(s.socket, "POST", "/v1/sessions", { id: "fs" }, fence(one))).status).toBe(201);
    expect((await call(s.socket, "POST", "/v1/batch", [{ op: "state.increment", doc: "f", pointer: "/n" }], fence(one))).status).toBe(200);
    await call(s.socket, "POST", "/v1/leases/w/renew", { token: one, ttlMs: 1 });
    await pause(30);
    const two = (await call(s.socket, "POST", "/v1/leases/w", { holder: "B", ttlMs: 60_000 })).json.token as number;
    expect(two).toBe(one + 1);
    const before = await s.store.sequence();
    const refusals = [
      await call(s.socket, "PUT", "/v1/state/f?pointer=/x", 99, fence(one)),
      // Beside If-Match too, a lease refusal is a 409 (the precondition that failed is the lease's).
      await call(s.socket, "PUT", "/v1/state/f?pointer=/x", 99, { ...fence(one), "if-match": '"2"' }),
      await call(s.socket, "PATCH", "/v1/sessions/fs", { name: "n" }, fence(one)),
      await call(s.socket, "POST", "/v1/agents", { sessionId: "fs", role: "r" }, fence(one)),
      await call(s.socket, "PUT", "/v1/tools/t", { description: "d" }, fence(one)),
      await call(s.socket, "POST", "/v1/batch", [{ op: "state.set", doc: "f", pointer: "/x", value: 99 }], fence(one)),
      await call(s.socket, "PUT", "/v1/state/f?pointer=/x", 99, { "statehouse-lease": "never;token=1" }),
    ];
    for (const r of refusals) {
      expect([r.status, r.json.code], r.text).toEqual([409, "E_CONFLICT"]);
      expect(r.json.details.lease).toBeDefined();
    }
    expect(refusals[0]!.json.details).toMatchObject({ lease: "w", token: one, currentToken: two, holder: "B" });
    expect(await s.store.sequence(), "refused writes commit nothing").toBe(before);
    expect((await call(s.socket, "PUT", "/v1/state/f?pointer=/x", 2, fence(two))).status).toBe(200);
    expect(await s.store.state("f").get("/x")).toBe(2);
    for (const bad of ["w", "w;token=0", "w;token=x", "../w;token=1", "w;token=1;x"]) {
      const r = await call(s.socket, "PUT", "/v1/state/f?pointer=/x", 3, { "statehouse-lease": bad });
      expect([r.status, r.json.code], bad).toEqual([400, bad.startsWith("..") ? "E_INVALID_PATH" : "E_VALIDATION"]);
    }
    expect(await s.store.state("f").get("/x")).toBe(2);
  });

  it("the OpenAPI document describes the lease routes and the header on writes", async () => {
    const doc = (await call(s.socket, "GET", "/v1/openapi.json")).json;
    expect(Object.keys(doc.paths["/v1/leases/{name}"]).sort()).toEqual(["delete", "get", "post"]);
    expect(doc.paths["/v1/leases/{name}/renew"].post.requestBody.content["application/json"].schema.required).toEqual(["token"]);
    expect(doc.paths["/v1/leases/{name}"].get.responses["200"].content["application/json"].schema.properties.token.type).toBe("integer");
    const header = doc.paths["/v1/state/{name}"].put.parameters.find((p: { name: string }) => p.name === "Statehouse-Lease");
    expect(header).toMatchObject({ in: "header", required: false });
    expect(doc.paths["/v1/leases/{name}"].post.parameters.some((p: { name: string }) => p.name === "Statehouse-Lease")).toBe(false);
  });
});
