import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

describe("API v1 over a unix socket (file adapter)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve((dir) => `file:${dir}/store`);
  });
  afterAll(async () => s.close());

  it("state documents: PUT by pointer, GET by pointer and JSONPath, ETags, DELETE", async () => {
    const put = await call(s.socket, "PUT", "/v1/state/doc1?pointer=/a", { b: [1, 2, 3] });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ revision: 1, sequence: expect.any(Number) });
    expect(put.headers.etag).toBe('"1"');
    const whole = await call(s.socket, "GET", "/v1/state/doc1");
    expect(whole.json).toEqual({ revision: 1, value: { a: { b: [1, 2, 3] } } });
    expect(whole.headers.etag).toBe('"1"');
    expect((await call(s.socket, "GET", "/v1/state/doc1?pointer=/a/b/1")).json).toEqual({ revision: 1, value: 2 });
    expect((await call(s.socket, "GET", "/v1/state/doc1?pointer=/nothing")).json).toEqual({ revision: 1 });
    const q = await call(s.socket, "GET", `/v1/state/doc1?query=${encodeURIComponent("$.a.b[?@ > 1]")}`);
    expect(q.json.nodes.map((n: { value: unknown }) => n.value)).toEqual([2, 3]);
    expect(q.json.nodes[0]).toEqual({ path: "$['a']['b'][1]", pointer: "/a/b/1", value: 2 });
    const del = await call(s.socket, "DELETE", "/v1/state/doc1?pointer=/a/b/0");
    expect(del.json.revision).toBe(2);
    expect(await s.store.state("doc1").get()).toEqual({ a: { b: [2, 3] } });
    expect((await call(s.socket, "DELETE", "/v1/state/doc1")).json).toEqual({ removed: true, revision: 0 });
    expect((await call(s.socket, "GET", "/v1/state/doc1")).json).toEqual({ revision: 0 });
  });

  it("PATCH takes merge-patch and json-patch; other types are refused", async () => {
    await call(s.socket, "PUT", "/v1/state/doc2", { a: 1, b: { c: 2 } });
    const merge = await call(s.socket, "PATCH", "/v1/state/doc2", '{"b":{"c":null,"d":3}}', {
      "content-type": "application/merge-patch+json",
    });
    expect(merge.status).toBe(200);
    expect(await s.store.state("doc2").get()).toEqual({ a: 1, b: { d: 3 } });
    const ops = JSON.stringify([
      { op: "replace", path: "/a", value: 5 },
      { op: "add", path: "/e", value: [] },
    ]);
    const patch = await call(s.socket, "PATCH", "/v1/state/doc2", ops, { "content-type": "application/json-patch+json" });
    expect(patch.json.revision).toBe(3);
    expect(await s.store.state("doc2").get()).toEqual({ a: 5, b: { d: 3 }, e: [] });
    const failing = JSON.stringify([
      { op: "replace", path: "/a", value: 6 },
      { op: "test", path: "/a", value: 0 },
    ]);
    const bad = await call(s.socket, "PATCH", "/v1/state/doc2", failing, { "content-type": "application/json-patch+json" });
    // The library answers a failed "test" operation with E_CONFLICT; nothing of the patch lands.
    expect([bad.status, bad.json.code, bad.headers["content-type"]]).toEqual([
      409,
      "E_CONFLICT",
      "application/problem+json; charset=utf-8",
    ]);
    expect(await s.store.state("doc2").get("/a")).toBe(5);
    const plain = await call(s.socket, "PATCH", "/v1/state/doc2", { a: 7 });
    expect([plain.status, plain.json.code]).toEqual([400, "E_VALIDATION"]);
  });

  it("If-Match makes a write conditional (412 with the current revision); If-None-Match: * only creates", async () => {
    await call(s.socket, "PUT", "/v1/state/doc3", { n: 1 });
    const stale = await call(s.socket, "PUT", "/v1/state/doc3?pointer=/n", 2, { "if-match": '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.json).toMatchObject({ code: "E_CONFLICT", currentRevision: 1, retryable: false, status: 412 });
    const ok = await call(s.socket, "PUT", "/v1/state/doc3?pointer=/n", 2, { "if-match": '"1"' });
    expect([ok.status, ok.headers.etag]).toEqual([200, '"2"']);
    const inc = await call(s.socket, "POST", "/v1/state/doc3/increment", { pointer: "/n", by: 5 }, { "if-match": '"1"' });
    expect(inc.status).toBe(412);
    const exists = await call(s.socket, "PUT", "/v1/state/doc3", { n: 0 }, { "if-none-match": "*" });
    expect([exists.status, exists.json.currentRevision]).toEqual([412, 2]);
    const created = await call(s.socket, "PUT", "/v1/state/doc4", { n: 0 }, { "if-none-match": "*" });
    expect(created.status).toBe(200);
    const weak = await call(s.socket, "PUT", "/v1/state/doc3", { n: 0 }, { "if-match": 'W/"2"' });
    expect([weak.status, weak.json.code]).toEqual([400, "E_VALIDATION"]);
    expect(await s.store.state("doc3").read()).toEqual({ value: { n: 2 }, revision: 2 });
  });

  it("sessions: create (201, 409 on a duplicate), get, list with filters and cursor, update, end, delete", async () => {
    const a = await call(s.socket, "POST", "/v1/sessions", { id: "s-a", project: "p1" });
    expect([a.status, a.json.status, a.headers.etag]).toEqual([201, "active", '"1"']);
    expect((await call(s.socket, "POST", "/v1/sessions", { id: "s-a" })).status).toBe(409);
    for (const id of ["s-b", "s-c", "s-d"]) await call(s.socket, "POST", "/v1/sessions", { id, project: "p2" });
    const page1 = await call(s.socket, "GET", "/v1/sessions?project=p2&limit=2&direction=asc");
    expect(page1.json.items.map((x: { id: string }) => x.id)).toEqual(["s-b", "s-c"]);
    const page2 = await call(
      s.socket,
      "GET",
      `/v1/sessions?project=p2&limit=2&direction=asc&cursor=${encodeURIComponent(page1.json.cursor)}`,
    );
    expect(page2.json.items.map((x: { id: string }) => x.id)).toEqual(["s-d"]);
    const upd = await call(s.socket, "PATCH", "/v1/sessions/s-b", { metadata: { k: 1 } }, { "if-match": '"1"' });
    expect([upd.status, upd.json.metadata]).toEqual([200, { k: 1 }]);
    const end = await call(s.socket, "POST", "/v1/sessions/s-b/end", { status: "failed" });
    expect(end.json.status).toBe("failed");
    expect((await call(s.socket, "GET", "/v1/sessions?status=failed")).json.items.map((x: { id: string }) => x.id)).toEqual(["s-b"]);
    expect((await call(s.socket, "GET", "/v1/count/sessions?status=active")).json).toEqual({ count: 3 });
    expect((await call(s.socket, "POST", "/v1/sessions/s-c/state/increment", { pointer: "/calls" })).json.value).toBe(1);
    expect((await call(s.socket, "DELETE", "/v1/sessions/s-c")).status).toBe(200);
    const gone = await call(s.socket, "GET", "/v1/sessions/s-c");
    expect([gone.status, gone.json.code]).toEqual([404, "E_NOT_FOUND"]);
    expect(await s.store.sessionState("s-c").read()).toEqual({ value: undefined, revision: 0 });
  });

  it("agents, config, tools and batch", async () => {
    const ag = await call(s.socket, "POST", "/v1/agents", { sessionId: "s-d", role: "coder", pid: 42 });
    expect([ag.status, ag.json.status]).toEqual([201, "spawning"]);
    const hb = await call(s.socket, "POST", `/v1/agents/${ag.json.id}/heartbeat`);
    expect(hb.json.status).toBe("running");
    expect((await call(s.socket, "GET", "/v1/agents?sessionId=s-d")).json.items).toHaveLength(1);
    expect((await call(s.socket, "PATCH", `/v1/agents/${ag.json.id}`, { status: "idle" })).json.status).toBe("idle");

    const bad = await call(s.socket, "PUT", "/v1/config/proj", { maxConcurrentAgents: "many" });
    expect(bad.json.code).toBe("E_CONFIG");
    expect((await call(s.socket, "POST", "/v1/config-validate", { maxConcurrentAgents: "many" })).json.issues.length).toBeGreaterThan(0);
    expect((await call(s.socket, "PUT", "/v1/config/proj", {})).json).toEqual({ project: "proj", config: {}, revision: 1 });
    expect((await call(s.socket, "GET", "/v1/config/proj")).headers.etag).toBe('"1"');
    expect((await call(s.socket, "GET", "/v1/config-schema")).json.type).toBe("object");

    expect((await call(s.socket, "PUT", "/v1/tools/grep", { description: "search" })).json.revision).toBe(1);
    expect((await call(s.socket, "PUT", "/v1/tools/grep", { description: "again" }, { "if-none-match": "*" })).status).toBe(412);
    expect((await call(s.socket, "GET", "/v1/tools")).json.items.map((t: { name: string }) => t.name)).toEqual(["grep"]);
    expect((await call(s.socket, "DELETE", "/v1/tools/grep")).json).toEqual({ removed: true });
    expect((await call(s.socket, "DELETE", "/v1/tools/grep")).status).toBe(404);

    const seq = (await call(s.socket, "GET", "/v1/sequence")).json.sequence;
    const batch = await call(s.socket, "POST", "/v1/batch", [
      { op: "state.increment", pointer: "/x" },
      { op: "state.set", doc: "other", pointer: "/y", value: true },
    ]);
    expect(batch.json.results).toEqual([
      { revision: 1, sequence: seq + 1, value: 1 },
      { revision: 1, sequence: seq + 1 },
    ]);
    const failing = await call(s.socket, "POST", "/v1/batch", [
      { op: "state.increment", pointer: "/x" },
      { op: "session.end", id: "nope" },
    ]);
    expect([failing.status, failing.json.code, failing.json.details.operation]).toEqual([404, "E_NOT_FOUND", 1]);
    expect(await s.store.state().get("/x")).toBe(1);
    const changes = await call(s.socket, "GET", `/v1/changes?since=${seq}`);
    expect(changes.json.changes.map((c: { sequence: number }) => c.sequence)).toEqual([seq + 1]);
  });

  it("Idempotency-Key: a retried write answers with the first result and changes nothing; another request under the key is 409", async () => {
    const key = { "idempotency-key": "hook-run-1" };
    const first = await call(s.socket, "POST", "/v1/state/idem/increment", { pointer: "/n", by: 2 }, key);
    expect(first.status).toBe(200);
    const seq = await s.store.sequence();
    const again = await call(s.socket, "POST", "/v1/state/idem/increment", { pointer: "/n", by: 2 }, key);
    expect([again.status, again.json.value, again.json.revision]).toEqual([200, 2, first.json.revision]);
    expect(await s.store.sequence(), "the replay committed nothing").toBe(seq);
    const created = await call(s.socket, "POST", "/v1/sessions", { name: "keyed" }, { "idempotency-key": "create-1" });
    const recreated = await call(s.socket, "POST", "/v1/sessions", { name: "keyed" }, { "idempotency-key": "create-1" });
    expect(recreated.json.id).toBe(created.json.id);
    const ops = [{ op: "state.increment", doc: "idem", pointer: "/b" }];
    await call(s.socket, "POST", "/v1/batch", ops, { "idempotency-key": "batch-1" });
    await call(s.socket, "POST", "/v1/batch", ops, { "idempotency-key": "batch-1" });
    expect(await s.store.state("idem").get()).toEqual({ n: 2, b: 1 });
    const reused = await call(s.socket, "PUT", "/v1/state/idem?pointer=/n", 5, key);
    expect([reused.status, reused.json.code, reused.json.details?.reason ?? reused.json.reason]).toEqual([
      409,
      "E_CONFLICT",
      "idempotency-key-reused",
    ]);
    const bad = await call(s.socket, "PUT", "/v1/state/idem?pointer=/n", 5, { "idempotency-key": "x".repeat(256) });
    expect([bad.status, bad.json.code]).toEqual([422, "E_VALIDATION"]);
    expect(await s.store.state("idem").get("/n")).toBe(2);
  });

  it("health, version and an OpenAPI description generated from the route schemas", async () => {
    expect((await call(s.socket, "GET", "/v1/version")).json).toEqual({ version: expect.any(String), api: "v1" });
    const doc = (await call(s.socket, "GET", "/v1/openapi.json")).json;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/state/{name}", "/v1/sessions/{id}/state/increment", "/v1/events", "/v1/batch"]),
    );
    expect(doc.paths["/v1/sessions"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["status", "project", "cursor", "limit"]),
    );
    expect(doc.paths["/v1/batch"].post.parameters.map((p: { name: string }) => p.name)).toContain("Idempotency-Key");
    expect(Object.keys(doc.paths["/v1/state/{name}"].patch.requestBody.content)).toEqual([
      "application/merge-patch+json",
      "application/json-patch+json",
    ]);
  });
});
