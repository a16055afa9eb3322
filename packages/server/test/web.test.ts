import { afterEach, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe("the web page's assets and overview", () => {
  it("serves the page and its scripts with a CSP that allows no inline script, and nosniff", async () => {
    served = await serve();
    const s = served;
    const page = await call(s.socket, "GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    // No inline script in the page itself: every <script> has a src.
    expect(page.text.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    for (const asset of ["/ui/app.js", "/ui/uplot.js"]) {
      const r = await call(s.socket, "GET", asset);
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^text\/javascript/);
      expect(r.text.length).toBeGreaterThan(1000);
    }
    expect((await call(s.socket, "GET", "/ui/app.css")).headers["content-type"]).toMatch(/^text\/css/);
    expect((await call(s.socket, "GET", "/ui/../package.json")).status).toBe(404);
    // The API answers carry nosniff too.
    expect((await call(s.socket, "GET", "/v1/health")).headers["x-content-type-options"]).toBe("nosniff");
  });

  it("GET /ui/overview.json reports operations, sessions by status and stale agents from the store", async () => {
    served = await serve();
    const s = served;
    const a = await s.store.sessions.create({ name: "a" });
    await s.store.sessions.create({ name: "b" });
    await s.store.agents.spawn(a.id, { role: "worker" });
    for (let i = 0; i < 4; i++) await call(s.socket, "POST", "/v1/state/global/increment", { pointer: "/n" });
    const o = (await call(s.socket, "GET", "/ui/overview.json")).json;
    expect(o.sessions.active).toBe(2);
    expect(o.activeAgents).toBe(1);
    expect(o.staleAgents).toBe(0);
    expect(o.operations["state.increment"].count).toBe(4);
    expect(o.operations["state.increment"].p99).toBeGreaterThanOrEqual(o.operations["state.increment"].p50);
    expect(o.events).toEqual({ active: 0, dropped: 0 });
    // Capacity: one point so far (sessions now, no disk for memory:), no trend yet.
    expect(o.capacity).toEqual({ points: [[expect.any(Number), 2, null]], sessionsPerHour: null, diskBytesPerHour: null });
  });

  it("stale agents follow the project config's heartbeatTimeoutSeconds, changed while the app runs", async () => {
    served = await serve();
    const s = served;
    await s.store.config.set("web", { heartbeatTimeoutSeconds: 3600 });
    const session = await s.store.sessions.create({ name: "w", project: "web" });
    await s.store.agents.spawn(session.id, { role: "worker" });
    await s.store.agents.spawn((await s.store.sessions.create({ name: "no project" })).id, { role: "worker" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(s.socket, "GET", "/ui/overview.json")).json.staleAgents).toBe(0);
    // A quarter of a second without a heartbeat is now stale; the agent of a session without a project never is.
    await s.store.config.set("web", { heartbeatTimeoutSeconds: 0.25 });
    expect((await call(s.socket, "GET", "/ui/overview.json")).json.staleAgents).toBe(1);
  });
});
