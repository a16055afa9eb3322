import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runChild, tempDir } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, show } from "./helpers.js";

// Start-up pinned without timing: what a `state get` loads decides most of what a hook pays for
// it (README, "Start-up"). Each case runs the real binary with a preload that records every script
// V8 parsed and every built-in module loaded, and checks that the command loaded what it needs and
// nothing it does not.

const RECORDER = join(import.meta.dirname, "fixtures", "record-loads.cjs");
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function scratch() {
  const t = tempDir("cli-startup");
  cleanups.push(t.cleanup);
  return t.dir;
}

interface Loads {
  /** The file: URLs of the scripts parsed, CommonJS and ES modules. */
  scripts: string[];
  /** process.moduleLoadList: "NativeModule child_process", "Internal Binding fs", … */
  builtins: string[];
}

/** Runs `statehouse ARGS` with the recorder preloaded; its exit status must be 0. */
async function loadsOf(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<Loads & { stdout: string }> {
  const out = join(dir, `loads-${Math.random().toString(36).slice(2)}.json`);
  const r = await runChild(BIN, args, {
    nodeArgs: ["--require", RECORDER],
    env: { ...process.env, STATEHOUSE_STORE: undefined, STATEHOUSE_TEST_LOADS: out, ...env },
    cwd: dir,
    input: "",
  }).done;
  expect(r.code, show({ ...r })).toBe(0);
  return { ...(JSON.parse(readFileSync(out, "utf8")) as Loads), stdout: r.stdout };
}

/** Whether a script of this package (a path fragment such as "/better-sqlite3/" or "/packages/core/") was parsed. */
const loaded = (l: Loads, fragment: string) => l.scripts.some((s) => s.includes(fragment));

// The native engines, the PostgreSQL client, the regular-expression engine of JSONPath's match()
// and search(), the JSON Schema validator, the table renderer, the daemon's server and the MCP
// SDK: none is needed to read one value.
const HEAVY = [
  "/better-sqlite3/",
  "/lmdb/",
  "/pg/",
  "/re2js/",
  "/@cfworker/",
  "/cli-table3/",
  "/fastify/",
  "/@modelcontextprotocol/",
  "/packages/server/",
  "/packages/mcp/",
  "/packages/adapter-postgres/",
];

async function seeded(url: string, dir: string): Promise<void> {
  const r = await runChild(BIN, ["--store", url, "state", "set", "/phase", '"review"', "--no-daemon"], { cwd: dir, input: "" }).done;
  expect(r.code, r.stderr).toBe(0);
}

describe("start-up: what `statehouse state get` loads", () => {
  it("on a file store: core and the file adapter, no other adapter, engine or command's built-ins", async () => {
    const dir = scratch();
    const url = `file:${dir}/store`;
    await seeded(url, dir);
    const l = await loadsOf(dir, ["--store", url, "state", "get", "/phase", "--no-daemon"]);
    expect(l.stdout).toBe('"review"\n');
    expect(loaded(l, "/packages/core/dist/")).toBe(true);
    expect(loaded(l, "/packages/adapter-file/dist/")).toBe(true);
    for (const heavy of [...HEAVY, "/packages/adapter-sqlite/", "/packages/adapter-lmdb/", "/proper-lockfile/"])
      expect(loaded(l, heavy), `${heavy} was loaded`).toBe(false);
    // child_process (with net and dgram) is only for `serve --detach`; the command bundle is one
    // file, so a top-level import there would load it into every command.
    expect(l.builtins).not.toContain("NativeModule child_process");
    // Loaded on demand: a query that uses match() does load re2js, so the check above can fail.
    const q = await loadsOf(dir, ["--store", url, "state", "get", '$[?match(@, "rev.*")]', "--no-daemon"]);
    expect(JSON.parse(q.stdout)).toEqual(["review"]);
    expect(loaded(q, "/re2js/")).toBe(true);
  });

  it.each([
    ["sqlite", (d: string) => `sqlite:${d}/store.db`, "/better-sqlite3/", "/lmdb/"],
    ["lmdb", (d: string) => `lmdb:${d}/env`, "/lmdb/", "/better-sqlite3/"],
  ])("on a %s store: its own native engine and not the other's", async (_name, urlOf, own, other) => {
    const dir = scratch();
    const url = urlOf(dir);
    await seeded(url, dir);
    const l = await loadsOf(dir, ["--store", url, "state", "get", "/phase", "--no-daemon"]);
    expect(l.stdout).toBe('"review"\n');
    expect(loaded(l, own)).toBe(true);
    expect(loaded(l, other), `${other} was loaded`).toBe(false);
    expect(loaded(l, "/packages/adapter-file/")).toBe(false);
    for (const heavy of HEAVY.filter((h) => h !== own)) expect(loaded(l, heavy), `${heavy} was loaded`).toBe(false);
  });

  it("without a daemon and without --no-daemon: the thin client looks for one, then the full CLI runs it", async () => {
    const dir = scratch();
    const url = `file:${dir}/store`;
    await seeded(url, dir);
    const runtime = join(dir, "rt");
    const l = await loadsOf(dir, ["--store", url, "state", "get", "/phase"], { XDG_RUNTIME_DIR: runtime });
    expect(l.stdout).toBe('"review"\n');
    expect(loaded(l, "/packages/cli/dist/thin.cjs")).toBe(true);
    expect(loaded(l, "/packages/cli/dist/bin.js")).toBe(true);
    expect(loaded(l, "/packages/adapter-file/dist/")).toBe(true);
    // node:net itself is loaded here all the same: stdout is a pipe, and Node writes to a pipe
    // through a net.Socket. What is pinned is that nothing else came along.
    expect(l.builtins).not.toContain("NativeModule child_process");
  });

  it("through a daemon: the thin client forwards the command and loads no CLI, core or store code", async () => {
    const dir = scratch();
    const url = `file:${dir}/store`;
    await seeded(url, dir);
    const env = { XDG_RUNTIME_DIR: join(dir, "rt") };
    mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
    const daemon = runChild(BIN, ["--json", "--store", url, "serve"], {
      env: { ...process.env, STATEHOUSE_STORE: undefined, ...env },
      cwd: dir,
      input: "",
    });
    cleanups.unshift(() => daemon.child.kill("SIGKILL"));
    await new Promise<void>((resolve, reject) => {
      let text = "";
      daemon.child.stdout!.on("data", (d: Buffer | string) => {
        text += String(d);
        if (text.includes("\n")) resolve();
      });
      void daemon.done.then((r) => reject(new Error(`serve exited (${r.code}) before serving: ${r.stderr}`)));
    });
    const l = await loadsOf(dir, ["--store", url, "state", "get", "/phase"], env);
    expect(l.stdout).toBe('"review"\n');
    const ours = l.scripts.filter((s) => !s.endsWith("/record-loads.cjs"));
    expect(ours.map((s) => s.slice(s.indexOf("/packages/")))).toEqual(["/packages/cli/bin/statehouse.js", "/packages/cli/dist/thin.cjs"]);
    daemon.child.kill("SIGTERM");
    expect((await daemon.done).code).toBe(0);
  });
});
