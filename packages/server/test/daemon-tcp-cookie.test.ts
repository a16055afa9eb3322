import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Daemon, alive, http, scratch, startDaemon } from "./daemon-helpers.js";

// The web page over the daemon's loopback TCP listener: a browser sends no bearer token, so the
// page's address `/?token=…` trades it once for an HttpOnly SameSite=Strict cookie (real HTTP).

describe("statehouse serve --listen: the token exchanged for the page's cookie", () => {
  const s = scratch();
  let d: Daemon;
  let port: number;
  let token: string;
  beforeAll(async () => {
    d = await startDaemon(`file:${s.dir}/store`, ["--listen", "127.0.0.1:0"], { env: s.env });
    port = Number(d.info.tcp!.split(":")[1]);
    token = readFileSync(d.info.socket.replace(/\.sock$/, ".token"), "utf8").trim();
  }, 60_000);
  afterAll(() => {
    if (d !== undefined && alive(d.info.pid)) process.kill(d.info.pid, "SIGKILL");
    s.cleanup();
  });

  it("GET /?token= sets the cookie once and redirects to /; the cookie then opens the page and the API", async () => {
    const host = `127.0.0.1:${port}`;
    const noCookie = await http({ port }, "GET", "/", { headers: { host } });
    expect(noCookie.status).toBe(401);

    const wrong = await http({ port }, "GET", `/?token=${"0".repeat(64)}`, { headers: { host } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    const foreign = await http({ port }, "GET", `/?token=${token}`, { headers: { host: `evil.example:${port}` } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers["set-cookie"]).toBeUndefined();

    const exchange = await http({ port }, "GET", `/?token=${token}`, { headers: { host } });
    expect(exchange.status).toBe(303);
    expect(exchange.headers.location).toBe("/");
    expect(exchange.headers["cache-control"]).toBe("no-store");
    const [setCookie] = exchange.headers["set-cookie"] as string[];
    const parts = setCookie!.split("; ");
    expect(parts.slice(1).sort()).toEqual(["HttpOnly", "Path=/", "SameSite=Strict"]);
    const cookie = parts[0]!;
    expect(cookie).toMatch(/^statehouse_session=[0-9a-f]{64}$/);
    // The cookie is not the token: it opens the page, never the token file's secret.
    expect(cookie).not.toContain(token);

    const page = await http({ port }, "GET", "/", { headers: { host, cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>statehouse</title>");
    expect(
      (await http({ port }, "GET", "/v1/health", { headers: { host: `localhost:${port}`, cookie: `other=1; ${cookie}` } })).status,
    ).toBe(200);
    const write = await http({ port }, "POST", "/v1/state/global/increment", { body: { pointer: "/n" }, headers: { host, cookie } });
    expect(write.status).toBe(200);

    // A wrong cookie, or the right one with a foreign Host (DNS rebinding), is refused.
    expect((await http({ port }, "GET", "/v1/health", { headers: { host, cookie: `statehouse_session=${"0".repeat(64)}` } })).status).toBe(
      401,
    );
    expect((await http({ port }, "GET", "/v1/health", { headers: { host: "evil.example", cookie } })).status).toBe(403);
    // The unix socket needs neither.
    expect((await http({ socket: d.info.socket }, "GET", "/v1/health")).status).toBe(200);
  });
});
