import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChild } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";
import { BIN, type Result, cli, perTest } from "./daemon-helpers.js";

// The CLI forwarding to a daemon: the same commands, the same output, without loading an
// adapter or the framework; --no-daemon and a version mismatch open the store directly.

const here = dirname(fileURLToPath(import.meta.url));
const TRACE = join(here, "fixtures", "trace-modules.mjs");
const { cleanups, setup, daemon } = perTest();

/** Runs the CLI with every resolved module recorded; returns the result and the module URLs. */
function traced(
  bin: string,
  args: readonly string[],
  env: Record<string, string>,
  traceFile: string,
  input?: string,
): Promise<Result & { modules: string[] }> {
  rmSync(traceFile, { force: true });
  const childEnv = { ...process.env, STATEHOUSE_STORE: "", STATEHOUSE_SOCKET: "", ...env, STATEHOUSE_TRACE_FILE: traceFile };
  return runChild(bin, args, { nodeArgs: ["--import", TRACE], env: childEnv, ...(input !== undefined && { input }) }).done.then(
    ({ code, signal, stdout, stderr }) => {
      let modules: string[] = [];
      try {
        modules = readFileSync(traceFile, "utf8").trim().split("\n");
      } catch {
        // no module resolved at all
      }
      return { code, signal, stdout, stderr, modules };
    },
  );
}

const heavy = (modules: string[]) =>
  modules.filter((m) => /adapter-(file|sqlite|lmdb)|better-sqlite3|\/lmdb\/|fastify|proper-lockfile/.test(m));

// A script of commands covering every forwarded group, in every output mode, errors included.
// Ids are given, so both runs make the same records; timestamps are masked before comparing.
const SCRIPT: string[][] = [
  ["state", "set", "/phase", '"plan"'],
  ["state", "incr", "/n"],
  ["state", "incr", "/n", "4"],
  ["--json", "state", "incr", "/n", "-2"],
  ["state", "get"],
  ["--plain", "state", "get", "/phase"],
  ["--json", "state", "get", "$.n"],
  ["state", "get", "/missing"],
  ["state", "get", "/missing", "--default", "0"],
  ["state", "merge", '{"draft": 1}'],
  ["state", "patch", '[{"op": "add", "path": "/tags", "value": ["x"]}]'],
  ["state", "del", "/draft"],
  ["state", "del", "/draft"],
  ["state", "set", "/phase", '"x"', "--if-revision", "1"],
  ["state", "get", "$[?"],
  ["--json", "session", "create", "--id", "ses-a", "--name", "A", "--project", "web"],
  ["--plain", "session", "create", "--id", "ses-b"],
  ["session", "create", "--id", "ses-a"],
  ["--json", "session", "list"],
  ["--plain", "session", "list", "--status", "active", "--project", "web"],
  ["state", "incr", "/calls", "--session", "ses-a"],
  ["--json", "agent", "spawn", "ses-a", "reviewer", "--id", "agt-1", "--pid", "42"],
  ["--json", "agent", "heartbeat", "agt-1"],
  ["--plain", "agent", "list", "--session", "ses-a"],
  ["agent", "update", "agt-1", "--status", "idle"],
  ["--json", "session", "end", "ses-a", "--status", "failed"],
  ["session", "show", "ses-a"],
  ["config", "set", "web", '{"maxConcurrentAgents": 4}'],
  ["--json", "config", "get", "web"],
  ["config", "validate", "web", '{"maxConcurrentAgents": "x"}'],
  ["config", "get", "nope"],
  ["tools", "register", "lint", "--command", "pnpm lint"],
  ["--json", "tools", "list"],
  ["tools", "show", "lint"],
  ["tools", "rm", "lint"],
  ["batch"],
  ["--json", "session", "rm", "ses-b"],
];
const BATCH = '[{"op":"state.increment","pointer":"/n"},{"op":"state.set","pointer":"/last","value":"ok"}]';

const mask = (text: string) => text.replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?/g, "<time>");

describe("CLI forwarding to statehouse serve", () => {
  it("every command prints the same through the daemon as directly, exit statuses included", async () => {
    const s = setup();
    const direct = `file:${s.dir}/direct`;
    const viaDaemon = `file:${s.dir}/daemon`;
    const d = await daemon(viaDaemon, s.env);
    for (const args of SCRIPT) {
      const input = args[0] === "batch" ? BATCH : undefined;
      const a = await cli(["--store", direct, ...args], { env: s.env, input });
      const b = await cli(["--store", viaDaemon, ...args], { env: s.env, input });
      const show = (r: Result) => ({ code: r.code, stdout: mask(r.stdout), stderr: mask(r.stderr) });
      expect(show(b), args.join(" ")).toEqual(show(a));
    }
    // It really went through the daemon: its debug log has a line per request.
    const log = readFileSync(d.info.socket.replace(/\.sock$/, ".log"), "utf8");
    expect(log.match(/"msg":"request"/g)?.length ?? 0).toBeGreaterThan(SCRIPT.length);
    // And the direct store never saw a daemon: the two stores agree record for record.
    const da = await cli(["--json", "--no-daemon", "--store", viaDaemon, "state", "get"], { env: s.env });
    const db = await cli(["--json", "--store", direct, "state", "get"], { env: s.env });
    expect(JSON.parse(da.stdout)).toEqual(JSON.parse(db.stdout));
  });

  it("the forwarding path loads no adapter and no framework; --no-daemon and no daemon load the adapter", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const trace = join(s.dir, "modules.txt");
    const d = await daemon(store, s.env);
    // The thin client (dist/thin.cjs, required before any ES module) has the daemon run the command:
    // not even the CLI's own bundle or the remote client is imported.
    const fwd = await traced(BIN, ["--store", store, "state", "incr", "/n"], s.env, trace);
    expect(fwd.code, fwd.stderr).toBe(0);
    expect(fwd.stdout.trim()).toBe("1");
    const loaded = fwd.modules.filter((m) => !m.endsWith("/bin/statehouse.js") && (m.includes("/packages/") || m.includes("node_modules")));
    expect(loaded).toEqual([]);
    expect(readFileSync(d.info.socket.replace(/\.sock$/, ".log"), "utf8")).toMatch(/"method":"POST","url":"\/v1\/cli","status":200/);
    // A command that reads stdin is the CLI's own: the full CLI runs it, through the remote client.
    const piped = await traced(BIN, ["--store", store, "batch"], s.env, trace, '[{"op":"state.increment","pointer":"/n"}]');
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.modules.some((m) => m.includes("/client/"))).toBe(true);
    expect(heavy(piped.modules)).toEqual([]);

    const opted = await traced(BIN, ["--no-daemon", "--store", store, "state", "incr", "/n"], s.env, trace);
    expect(opted.stdout.trim()).toBe("3");
    expect(heavy(opted.modules).some((m) => m.includes("adapter-file"))).toBe(true);
    expect(opted.modules.some((m) => m.includes("/client/"))).toBe(false);

    process.kill(d.info.pid, "SIGKILL");
    await d.exited;
    // A dead daemon's files are ignored: the command opens the store directly and works.
    const stale = await traced(BIN, ["--store", store, "state", "incr", "/n"], s.env, trace);
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stdout.trim()).toBe("4");
    expect(stale.stderr).toBe("");
    expect(heavy(stale.modules).some((m) => m.includes("adapter-file"))).toBe(true);
  });

  it("a daemon of another version: the CLI warns on stderr and opens the store directly", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    await daemon(store, s.env);
    // A copy of this CLI that says it is another version (its dependencies resolve from packages/cli/node_modules).
    const pkg = join(here, "..", "..", "cli");
    const other = join(pkg, `.version-test-${process.pid}`);
    cleanups.push(() => rmSync(other, { recursive: true, force: true }));
    mkdirSync(other);
    cpSync(join(pkg, "bin"), join(other, "bin"), { recursive: true });
    cpSync(join(pkg, "dist"), join(other, "dist"), { recursive: true });
    const meta = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
    writeFileSync(join(other, "package.json"), JSON.stringify({ ...meta, version: "99.0.0" }));
    const trace = join(s.dir, "modules.txt");
    const r = await traced(join(other, "bin", "statehouse.js"), ["--store", store, "state", "incr", "/n"], s.env, trace);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("1");
    expect(r.stderr).toMatch(/warning: the daemon serving this store is version \S+, this CLI is 99\.0\.0; opening the store directly/);
    expect(heavy(r.modules).some((m) => m.includes("adapter-file"))).toBe(true);
    // The daemon sees the direct write (it never serves a stale value).
    const via = await cli(["--store", store, "state", "get", "/n"], { env: s.env });
    expect(via.stdout.trim()).toBe("1");
  });
});
