import { join } from "node:path";
import { evalChild } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";
import { type Exposition, one, parsePrometheusText } from "./prom-text.js";

async function scrape(s: Served): Promise<{ exp: Exposition; text: string; contentType: string }> {
  const r = await call(s.socket, "GET", "/metrics");
  expect(r.status).toBe(200);
  return { exp: parsePrometheusText(r.text), text: r.text, contentType: String(r.headers["content-type"]) };
}

const SERVER_DIR = join(import.meta.dirname, "..");

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe("GET /metrics", () => {
  it("exposes operation and request histograms that match the operations performed, and store-derived gauges", async () => {
    served = await serve((dir) => `sqlite:${join(dir, "store.db")}`);
    const s = served;
    for (let i = 0; i < 7; i++) expect((await call(s.socket, "POST", "/v1/state/global/increment", { pointer: "/n" })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(s.socket, "POST", "/v1/sessions", { name: `s${i}`, project: "p" })).status).toBe(201);
    // A conflicting conditional write and a missing record: failures counted by code.
    expect((await call(s.socket, "PUT", "/v1/state/global?pointer=/n", 0, { "if-match": '"999"' })).status).toBe(412);
    expect((await call(s.socket, "GET", "/v1/sessions/nope")).status).toBe(404);

    const { exp, text, contentType } = await scrape(s);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(exp.types.get("statehouse_operation_duration_seconds")).toBe("histogram");
    const OP = "statehouse_operation_duration_seconds";
    const op = (operation: string, outcome = "ok") => ({ operation, adapter: "sqlite", outcome });
    expect(one(exp, `${OP}_count`, op("state.increment"))).toBe(7);
    expect(one(exp, `${OP}_count`, op("session.create"))).toBe(3);
    expect(one(exp, `${OP}_count`, op("state.set", "error"))).toBe(1);
    // Buckets from 0.1 ms to 1 s, in seconds, cumulative, the last one the count.
    const les = exp.samples.filter((x) => x.name === `${OP}_bucket` && x.labels.operation === "state.increment").map((x) => x.labels.le);
    const expected = ["0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1"];
    expect(les).toEqual([...expected, "+Inf"]);
    expect(one(exp, `${OP}_bucket`, { ...op("state.increment"), le: "+Inf" })).toBe(7);
    expect(one(exp, `${OP}_sum`, op("state.increment"))).toBeGreaterThan(0);
    expect(one(exp, "statehouse_operations_total", op("state.increment"))).toBe(7);

    const HTTP = "statehouse_http_request_duration_seconds_count";
    expect(one(exp, HTTP, { route: "/v1/state/:name/increment", method: "POST", status_class: "2xx" })).toBe(7);
    expect(one(exp, HTTP, { route: "/v1/sessions", method: "POST", status_class: "2xx" })).toBe(3);
    expect(one(exp, HTTP, { route: "/v1/sessions/:id", method: "GET", status_class: "4xx" })).toBe(1);
    expect(text).not.toContain("/v1/sessions/nope");

    expect(one(exp, "statehouse_errors_total", { code: "E_CONFLICT" })).toBe(1);
    expect(one(exp, "statehouse_errors_total", { code: "E_NOT_FOUND" })).toBe(1);
    expect(one(exp, "statehouse_conflicts_total")).toBe(1);
    expect(one(exp, "statehouse_sessions", { status: "active" })).toBe(3);
    expect(one(exp, "statehouse_store_size_bytes")).toBeGreaterThan(0);
    expect(one(exp, "statehouse_event_stream_clients")).toBe(0);
    expect(one(exp, "statehouse_event_stream_clients_dropped_total")).toBe(0);
    expect(one(exp, "statehouse_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(one(exp, "statehouse_process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(exp.types.get("statehouse_nodejs_eventloop_lag_seconds")).toBe("gauge");

    // Another process writes the store directly: the session and agent gauges count its writes.
    const url = `sqlite:${join(s.dir, "store.db")}`;
    const other = await evalChild(
      `import { open } from "@statehouse/core";
         const st = await open(${JSON.stringify(url)});
         const a = await st.sessions.create({ name: "other" });
         const b = await st.sessions.create({ name: "other2" });
         await st.sessions.end(a.id, "failed");
         await st.agents.spawn(b.id, { role: "r" });
         await st.close();`,
      [],
      { cwd: SERVER_DIR },
    ).done;
    expect(other.code, other.stderr).toBe(0);
    const after = (await scrape(s)).exp;
    expect(one(after, "statehouse_sessions", { status: "active" })).toBe(4);
    expect(one(after, "statehouse_sessions", { status: "failed" })).toBe(1);
    const agents = after.samples.filter((x) => x.name === "statehouse_agents").reduce((n, x) => n + x.value, 0);
    expect(agents).toBe(1);
  });

  it("keeps the series count under 1,000 with 10,000 sessions, and never labels by id", async () => {
    served = await serve();
    const s = served;
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push((await s.store.sessions.create({ name: `n${i}`, project: `p${i % 7}` })).id);
    // Requests on per-id routes, each with a different id.
    for (const id of ids.slice(0, 200)) {
      expect((await call(s.socket, "GET", `/v1/sessions/${id}`)).status).toBe(200);
      expect((await call(s.socket, "POST", `/v1/sessions/${id}/state/increment`, { pointer: "/n" })).status).toBe(200);
      await s.store.agents.spawn(id, { role: "worker" });
    }
    const times: number[] = [];
    let text = "";
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      text = (await scrape(s)).text;
      times.push(performance.now() - t0);
    }
    const series = parsePrometheusText(text).samples;
    console.log(`/metrics with 10,000 sessions: ${series.length} series, scrape ms ${times.map((t) => t.toFixed(1)).join(", ")}`);
    expect(series.length).toBeLessThan(1000);
    for (const id of ids.slice(0, 200)) expect(text).not.toContain(id);
    const exp = (await scrape(s)).exp;
    expect(one(exp, "statehouse_sessions", { status: "active" })).toBe(10_000);
    expect(one(exp, "statehouse_agents", { status: "spawning" })).toBe(200);
    expect(one(exp, "statehouse_http_request_duration_seconds_count", { route: "/v1/sessions/:id", status_class: "2xx" })).toBe(200);
  }, 120_000);
});
