import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alive, cli, http, readJson, scratch, startDaemon, waitFor } from "./daemon-helpers.js";

/** A private (0700) directory `name` inside the test's own temporary directory. */
function mkdirIn(dir: string, name: string): string {
  mkdirSync(join(dir, name), { mode: 0o700 });
  return join(dir, name);
}

// The daemon as users run it: `statehouse serve` in a real process, on a real socket, stopped by
// real signals. Every test has its own XDG_RUNTIME_DIR, so their daemons never meet.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup() {
  const s = scratch();
  cleanups.push(s.cleanup);
  return s;
}

/** Kills a daemon at the end of the test whatever happens. */
function reap(pid: number) {
  cleanups.unshift(() => {
    if (alive(pid)) process.kill(pid, "SIGKILL");
  });
}

const mode = (p: string) => (lstatSync(p).mode & 0o777).toString(8);

describe("statehouse serve: files and modes", () => {
  it("under umask 022: directory 0700, socket 0600, discovery file 0600, log 0600; the discovery file names the daemon", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const d = await startDaemon(store, [], { env: s.env, umask: "022" });
    reap(d.info.pid);
    expect(d.info.socket.startsWith(join(s.runtime, "statehouse") + "/")).toBe(true);
    expect(mode(join(s.runtime, "statehouse"))).toBe("700");
    expect(lstatSync(d.info.socket).isSocket()).toBe(true);
    expect(mode(d.info.socket)).toBe("600");
    expect(mode(d.info.discovery)).toBe("600");
    expect(mode(d.info.socket.replace(/\.sock$/, ".log"))).toBe("600");
    const record = readJson(d.info.discovery);
    expect(record).toMatchObject({ socket: d.info.socket, pid: d.child.pid, store });
    expect(typeof record.version).toBe("string");
    const health = await http({ socket: d.info.socket }, "GET", "/v1/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ pid: d.child.pid, version: record.version });
    // `daemon path` and `daemon status` read the same files.
    const path = await cli(["--store", store, "daemon", "path"], { env: s.env });
    expect(path.stdout.trim()).toBe(d.info.socket);
    const status = await cli(["--json", "--store", store, "daemon", "status"], { env: s.env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: d.child.pid, socket: d.info.socket });
    process.kill(d.info.pid, "SIGTERM");
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(d.info.socket)).toBe(false);
    expect(existsSync(d.info.discovery)).toBe(false);
  });

  it("falls back to <tmp>/statehouse-<uid> when XDG_RUNTIME_DIR is not private, and refuses that folder when it is not 0700", async () => {
    const s = setup();
    const xdg = mkdirIn(s.dir, "xdg");
    chmodSync(xdg, 0o755);
    const tmp = mkdirIn(s.dir, "tmp");
    const env = { XDG_RUNTIME_DIR: xdg, TMPDIR: tmp };
    const store = `file:${s.dir}/store`;
    const d = await startDaemon(store, [], { env, umask: "022" });
    reap(d.info.pid);
    const uid = process.getuid!();
    expect(d.info.socket.startsWith(join(tmp, `statehouse-${uid}`) + "/")).toBe(true);
    expect(mode(join(tmp, `statehouse-${uid}`))).toBe("700");
    process.kill(d.info.pid, "SIGTERM");
    expect((await d.exited).code).toBe(0);

    // Someone made the folder group/world-accessible: refused with E_PERMISSION (exit 11), nothing bound.
    chmodSync(join(tmp, `statehouse-${uid}`), 0o755);
    const r = await cli(["--store", store, "serve"], { env });
    expect(r.code, r.stderr).toBe(11);
    expect(r.stderr).toMatch(/E_PERMISSION.*mode 755/);
  });

  it("STATEHOUSE_SOCKET overrides the path; a path longer than a unix socket allows is E_CONFIG before binding", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const own = join(s.runtime, "my.sock");
    const d = await startDaemon(store, [], { env: { ...s.env, STATEHOUSE_SOCKET: own } });
    reap(d.info.pid);
    expect(d.info.socket).toBe(own);
    expect(existsSync(join(s.runtime, "my.json"))).toBe(true);
    process.kill(d.info.pid, "SIGTERM");
    expect((await d.exited).code).toBe(0);

    const long = join(s.runtime, `${"x".repeat(120)}.sock`);
    const r = await cli(["--store", store, "serve"], { env: { ...s.env, STATEHOUSE_SOCKET: long } });
    expect(r.code, r.stderr).toBe(13);
    expect(r.stderr).toMatch(/E_CONFIG.*longer than the 107/);
    expect(existsSync(long)).toBe(false);
  });
});

describe("statehouse serve: lifecycle", () => {
  it("a second serve for the same store says already running and exits non-zero; the first keeps serving", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const d = await startDaemon(store, [], { env: s.env });
    reap(d.info.pid);
    // Same store, spelled differently (relative path through a symlinked cwd is covered by realpath).
    const second = await cli(["--store", `file:${s.dir}/./store`, "serve"], { env: s.env });
    expect(second.code, second.stderr).toBe(4);
    expect(second.stderr).toMatch(/already running/);
    expect((await http({ socket: d.info.socket }, "GET", "/v1/health")).status).toBe(200);
    expect(readJson(d.info.discovery).pid).toBe(d.info.pid);
    process.kill(d.info.pid, "SIGTERM");
    expect((await d.exited).code).toBe(0);
  });

  it("kill -9 leaves a stale socket and discovery file; the next serve replaces them", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const d = await startDaemon(store, [], { env: s.env });
    reap(d.info.pid);
    process.kill(d.info.pid, "SIGKILL");
    await d.exited;
    expect(lstatSync(d.info.socket).isSocket()).toBe(true);
    expect(readJson(d.info.discovery).pid).toBe(d.info.pid);
    // While it is down, the CLI's daemon commands say so with E_UNAVAILABLE (15).
    const status = await cli(["--store", store, "daemon", "status"], { env: s.env });
    expect(status.code, status.stderr).toBe(15);
    const next = await startDaemon(store, [], { env: s.env });
    reap(next.info.pid);
    expect(next.info.socket).toBe(d.info.socket);
    expect(readJson(next.info.discovery).pid).toBe(next.info.pid);
    expect(JSON.parse((await http({ socket: next.info.socket }, "GET", "/v1/health")).body).pid).toBe(next.info.pid);
    expect(readFileSync(d.info.socket.replace(/\.sock$/, ".log"), "utf8")).toMatch(/replaced a stale socket/);
    const stop = await cli(["--store", store, "daemon", "stop"], { env: s.env });
    expect(stop.code, stop.stderr).toBe(0);
    expect(alive(next.info.pid)).toBe(false);
    expect(existsSync(next.info.socket)).toBe(false);
  });

  it("SIGTERM lets a request in flight finish (its write is kept), refuses new connections, then exits 0", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const d = await startDaemon(store, [], { env: s.env });
    reap(d.info.pid);
    // A request whose body is still arriving when SIGTERM comes: in flight by any definition.
    const { request } = await import("node:http");
    const body = JSON.stringify({ pointer: "/n", by: 5 });
    const req = request({
      socketPath: d.info.socket,
      method: "POST",
      path: "/v1/state/global/increment",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on("response", (res) => {
        let t = "";
        res.setEncoding("utf8").on("data", (c: string) => (t += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: t }));
      });
      req.on("error", reject);
    });
    req.write(body.slice(0, 5));
    req.flushHeaders();
    await new Promise((r) => setTimeout(r, 300));
    process.kill(d.info.pid, "SIGTERM");
    await waitFor("the socket to stop accepting", async () => {
      try {
        await http({ socket: d.info.socket }, "GET", "/v1/health");
        return false;
      } catch {
        return true;
      }
    });
    expect(alive(d.info.pid)).toBe(true);
    req.end(body.slice(5));
    const r = await answer;
    expect(r.status, r.body).toBe(200);
    expect((await d.exited).code).toBe(0);
    const get = await cli(["--json", "--no-daemon", "--store", store, "state", "get", "/n"], { env: s.env });
    expect(JSON.parse(get.stdout).value).toBe(5);
  });

  it("--idle-exit stops the daemon after that long without requests, cleaning up its files", async () => {
    const s = setup();
    const d = await startDaemon(`file:${s.dir}/store`, ["--idle-exit", "1s"], { env: s.env });
    reap(d.info.pid);
    const t0 = Date.now();
    expect((await http({ socket: d.info.socket }, "GET", "/v1/health")).status).toBe(200);
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(existsSync(d.info.socket)).toBe(false);
    expect(existsSync(d.info.discovery)).toBe(false);
  });

  it("--detach returns once the daemon answers; daemon stop ends it; logs are JSON lines, requests at debug", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const log = join(s.dir, "daemon.log");
    const r = await cli(["--json", "--store", store, "serve", "--detach", "--log", log, "--log-level", "debug"], { env: s.env });
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    reap(info.pid);
    expect(alive(info.pid)).toBe(true);
    expect((await http({ socket: info.socket }, "GET", "/v1/health")).status).toBe(200);
    // A second --detach is refused the same way as a foreground serve.
    const again = await cli(["--store", store, "serve", "--detach"], { env: s.env });
    expect(again.code, again.stderr).toBe(4);
    expect(again.stderr).toMatch(/already running/);
    const stop = await cli(["--json", "--store", store, "daemon", "stop"], { env: s.env });
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ stopped: true, pid: info.pid });
    const lines = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.level === "debug" && l.msg === "request" && l.url === "/v1/health" && l.status === 200)).toBe(true);
    expect(lines.some((l) => l.msg === "stopped")).toBe(true);
    expect(lines.every((l) => l.level !== "error")).toBe(true);
    expect(statSync(log).mode & 0o777).toBe(0o600);
  });

  it("daemon status and stop with no daemon: E_UNAVAILABLE (exit 15)", async () => {
    const s = setup();
    mkdirSync(join(s.runtime, "statehouse"), { mode: 0o700 });
    for (const sub of ["status", "stop"]) {
      const r = await cli(["--store", `file:${s.dir}/store`, "daemon", sub], { env: s.env });
      expect(r.code, r.stderr).toBe(15);
      expect(r.stderr).toMatch(/E_UNAVAILABLE/);
    }
  });
});
