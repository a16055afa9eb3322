import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

describe("history over HTTP (file adapter)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve((dir) => `file:${dir}/store`);
  });
  afterAll(async () => s.close());

  it("GET …/history, GET ?revision=R (with ?pointer= and ?query=), GET …/diff, for named and session documents", async () => {
    await call(s.socket, "PUT", "/v1/state/h", { phase: "plan", tasks: [1] });
    await call(s.socket, "PUT", "/v1/state/h?pointer=/phase", JSON.stringify("review"));
    const listed = await call(s.socket, "GET", "/v1/state/h/history");
    expect(listed.status).toBe(200);
    expect(listed.json.entries.map((e: { revision: number }) => e.revision)).toEqual([2, 1]);
    expect(listed.json.entries[1]).toEqual({
      revision: 1,
      at: expect.any(String),
      size: JSON.stringify({ phase: "plan", tasks: [1] }).length,
    });
    const withValues = await call(s.socket, "GET", "/v1/state/h/history?limit=1&before=2&values=true");
    expect(withValues.json.entries).toEqual([
      { revision: 1, at: expect.any(String), size: expect.any(Number), value: { phase: "plan", tasks: [1] } },
    ]);

    const old = await call(s.socket, "GET", "/v1/state/h?revision=1");
    expect([old.status, old.json, old.headers.etag]).toEqual([200, { revision: 1, value: { phase: "plan", tasks: [1] } }, '"1"']);
    expect((await call(s.socket, "GET", "/v1/state/h?revision=1&pointer=/phase")).json).toEqual({ revision: 1, value: "plan" });
    const nodes = await call(s.socket, "GET", `/v1/state/h?revision=1&query=${encodeURIComponent("$.tasks[*]")}`);
    expect(nodes.json.nodes.map((n: { value: unknown }) => n.value)).toEqual([1]);

    const diff = await call(s.socket, "GET", "/v1/state/h/diff?from=1&to=2");
    expect(diff.json).toEqual({ from: 1, to: 2, operations: [{ op: "replace", path: "/phase", value: "review" }] });

    const gone = await call(s.socket, "GET", "/v1/state/h?revision=7");
    expect([gone.status, gone.json.code]).toEqual([404, "E_NOT_FOUND"]);
    for (const bad of [
      "/v1/state/h?revision=0",
      "/v1/state/h?revision=1e300",
      "/v1/state/h?revision=x",
      "/v1/state/h/history?limit=0",
      "/v1/state/h/diff?from=1",
    ]) {
      const r = await call(s.socket, "GET", bad);
      expect([r.status, r.json.code], bad).toEqual([expect.any(Number), "E_VALIDATION"]);
      expect(r.status === 400 || r.status === 422, bad).toBe(true);
    }

    await s.store.sessions.create({ id: "s1" });
    await call(s.socket, "POST", "/v1/sessions/s1/state/increment", { pointer: "/n" });
    await call(s.socket, "POST", "/v1/sessions/s1/state/increment", { pointer: "/n" });
    expect(
      (await call(s.socket, "GET", "/v1/sessions/s1/state/history")).json.entries.map((e: { revision: number }) => e.revision),
    ).toEqual([2, 1]);
    expect((await call(s.socket, "GET", "/v1/sessions/s1/state?revision=1")).json).toEqual({ revision: 1, value: { n: 1 } });
    expect((await call(s.socket, "GET", "/v1/sessions/s1/state/diff?from=2&to=1")).json.operations).toEqual([
      { op: "replace", path: "/n", value: 1 },
    ]);
  });

  it("the OpenAPI description lists the history and diff routes and the revision parameter", async () => {
    const spec = (await call(s.socket, "GET", "/v1/openapi.json")).json;
    for (const path of [
      "/v1/state/{name}/history",
      "/v1/state/{name}/diff",
      "/v1/sessions/{id}/state/history",
      "/v1/sessions/{id}/state/diff",
    ]) {
      expect(spec.paths[path]?.get, path).toBeDefined();
    }
    const params = spec.paths["/v1/state/{name}"].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toContain("revision");
  });
});
