import { readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { alive, cli, http, scratch, startDaemon } from "./daemon-helpers.js";

// Loopback TCP: a bearer token on every request, a Host check against DNS rebinding, no CORS,
// and no address but loopback.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("statehouse serve --listen", () => {
  it("missing or wrong token: 401; foreign Host: 403; loopback Host with the token: served; no CORS headers", async () => {
    const s = scratch();
    cleanups.push(s.cleanup);
    const d = await startDaemon(`file:${s.dir}/store`, ["--listen", "127.0.0.1:0"], { env: s.env, umask: "022" });
    cleanups.unshift(() => {
      if (alive(d.info.pid)) process.kill(d.info.pid, "SIGKILL");
    });
    expect(d.info.tcp).toMatch(/^127\.0\.0\.1:\d+$/);
    const port = Number(d.info.tcp!.split(":")[1]);
    const tokenFile = d.info.socket.replace(/\.sock$/, ".token");
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const tcp = { port };
    const ok = { authorization: `Bearer ${token}`, host: `127.0.0.1:${port}` };

    const none = await http(tcp, "GET", "/v1/health", { headers: { host: `localhost:${port}` } });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ status: 401, code: "E_PERMISSION" });
    const wrong = await http(tcp, "GET", "/v1/health", { headers: { ...ok, authorization: `Bearer ${"0".repeat(64)}` } });
    expect(wrong.status).toBe(401);
    const short = await http(tcp, "GET", "/v1/health", { headers: { ...ok, authorization: `Bearer ${token.slice(0, 63)}` } });
    expect(short.status).toBe(401);
    const rebind = await http(tcp, "GET", "/v1/health", { headers: { ...ok, host: `evil.example:${port}` } });
    expect(rebind.status).toBe(403);
    const write = await http(tcp, "POST", "/v1/state/global/increment", {
      body: { pointer: "/n" },
      headers: { ...ok, host: "evil.example" },
    });
    expect(write.status).toBe(403);

    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost"]) {
      const r = await http(tcp, "GET", "/v1/health", { headers: { ...ok, host, origin: "https://evil.example" } });
      expect(r.status, host).toBe(200);
      expect(Object.keys(r.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
    const preflight = await http(tcp, "OPTIONS", "/v1/state/global", {
      headers: { ...ok, origin: "https://evil.example", "access-control-request-method": "PUT" },
    });
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);

    // The refused write changed nothing; the unix socket needs no token.
    const get = await http({ socket: d.info.socket }, "GET", "/v1/state/global?pointer=/n");
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body).value).toBeUndefined();

    // Bound to loopback only: another local address of this machine refuses the port.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && !i.internal && i.family === "IPv4");
    if (external !== undefined) {
      const refused = await new Promise<string>((resolve) => {
        const c = connect(port, external.address);
        c.once("connect", () => {
          c.destroy();
          resolve("connected");
        });
        c.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
      });
      expect(refused).toBe("ECONNREFUSED");
    } else {
      console.warn("skipped the non-loopback connect check: this machine has no non-internal IPv4 address");
    }
    process.kill(d.info.pid, "SIGTERM");
    expect((await d.exited).code).toBe(0);
  });

  it("refuses any address but loopback with E_CONFIG before opening anything", async () => {
    const s = scratch();
    cleanups.push(s.cleanup);
    for (const addr of ["0.0.0.0:7700", "192.168.1.10:7700", "[::]:7700", "example.com:80", "127.0.0.1"]) {
      const r = await cli(["--store", `file:${s.dir}/store`, "serve", "--listen", addr], { env: s.env });
      expect(r.code, `${addr}: ${r.stderr}`).toBe(13);
      expect(r.stderr).toMatch(/E_CONFIG/);
    }
  });
});
