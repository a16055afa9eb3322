import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChild } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";
import { BIN, cli, perTest, waitFor } from "./daemon-helpers.js";

// Issue 11, "when a daemon serves the CLI's store, every command goes through it": `statehouse
// watch` follows the daemon's event stream (the remote client's watch) instead of opening the
// store, with the same output; --no-daemon watches directly.

const here = dirname(fileURLToPath(import.meta.url));
const TRACE = join(here, "fixtures", "trace-modules.mjs");
const { cleanups, setup, daemon } = perTest("daemon-watch");

/** A running `statehouse … watch …`, its modules traced; `lines()` is what it printed so far. */
function watcher(args: readonly string[], env: Record<string, string>, traceFile: string) {
  const childEnv = { ...process.env, STATEHOUSE_STORE: "", STATEHOUSE_SOCKET: "", ...env, STATEHOUSE_TRACE_FILE: traceFile };
  const running = runChild(BIN, args, { nodeArgs: ["--import", TRACE], env: childEnv, input: "" });
  let out = "";
  running.child.stdout!.on("data", (d: Buffer | string) => (out += String(d)));
  cleanups.unshift(() => {
    if (running.child.exitCode === null) running.child.kill("SIGKILL");
  });
  const lines = () =>
    out
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { type: string; sequence: number; at: string; changes: unknown[] });
  return { running, lines, modules: () => readFileSync(traceFile, "utf8").trim().split("\n") };
}

const heavy = (modules: string[]) =>
  modules.filter((m) => /adapter-(file|sqlite|lmdb)|better-sqlite3|\/lmdb\/|fastify|proper-lockfile/.test(m));

describe("statehouse watch through the daemon", () => {
  it("sees every change set once, in order, whether written through the daemon or directly; same lines as a direct watch; SIGTERM exits 0", async () => {
    const s = setup();
    const store = `file:${s.dir}/store`;
    const d = await daemon(store, s.env);
    const sh = (args: string[]) => cli(["--store", store, ...args], { env: s.env });
    expect((await sh(["state", "set", "/phase", '"plan"'])).code).toBe(0);
    const w = watcher(["--json", "--store", store, "watch", "--since", "0"], s.env, join(s.dir, "modules.txt"));
    // Writes through the daemon and directly (--no-daemon), alternating, while the watch runs.
    for (let i = 0; i < 6; i++) {
      const r = await sh([...(i % 2 === 1 ? ["--no-daemon"] : []), "state", "incr", "/n"]);
      expect(r.code, r.stderr).toBe(0);
    }
    await waitFor("the watcher to print 7 change sets", () => w.lines().length >= 7, 60_000);
    w.running.child.kill("SIGTERM");
    const done = await w.running.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toBe("");
    const seen = w.lines();
    expect(seen.map((e) => [e.type, e.sequence])).toEqual(Array.from({ length: 7 }, (_, k) => ["changes", k + 1]));
    // The same lines as a direct watch of the store (the format does not depend on the path).
    const direct = await sh(["--no-daemon", "--json", "watch", "--since", "0", "--count", "7"]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(
      direct.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(seen);
    // Through the daemon: the remote client's event stream, no adapter loaded in the watcher.
    const modules = w.modules();
    expect(modules.some((m) => m.includes("/client/"))).toBe(true);
    expect(heavy(modules)).toEqual([]);
    // The thin client read the discovery file and reached the daemon before it fell back to the full
    // CLI, which took the daemon from it: the locating module was not loaded a second time.
    expect(modules.filter((m) => m.includes("/server/dist/locate"))).toEqual([]);
    expect(readFileSync(d.info.socket.replace(/\.sock$/, ".log"), "utf8")).toContain("/v1/events");
  }, 120_000);

  it("--since resumes where a watcher left off; the daemon going away for good ends the watch with E_UNAVAILABLE (exit 15)", async () => {
    const s = setup();
    const store = `sqlite:${s.dir}/store.db`;
    const d = await daemon(store, s.env);
    const sh = (args: string[]) => cli(["--store", store, ...args], { env: s.env });
    for (let i = 0; i < 4; i++) expect((await sh(["state", "incr", "/n"])).code).toBe(0);
    const w = watcher(["--json", "--store", store, "watch", "--since", "2"], s.env, join(s.dir, "modules.txt"));
    await waitFor("the watcher to print 2 change sets", () => w.lines().length >= 2, 60_000);
    expect(w.lines().map((e) => e.sequence)).toEqual([3, 4]);
    process.kill(d.info.pid, "SIGKILL");
    await d.exited;
    // The client retries for 30 s (a daemon restarting is followed without a gap), then gives up.
    const done = await w.running.done;
    expect(done.code, done.stderr).toBe(15);
    expect(done.stderr).toContain("E_UNAVAILABLE");
    expect(w.lines().map((e) => e.sequence)).toEqual([3, 4]);
  }, 120_000);
});
