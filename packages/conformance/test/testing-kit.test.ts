import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import {
  DURABILITY_MODES,
  JsonLinesChild,
  evalChild,
  TORTURE,
  forEachDurability,
  killChildren,
  removeDir,
  runChild,
  seededRandom,
  sized,
  tempDir,
  unixFetch,
  waitForLine,
} from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";

describe("@statehouse/conformance/testing", () => {
  it("reads STATEHOUSE_TORTURE in one place: sizes and durability modes follow it", () => {
    expect(TORTURE).toBe(process.env.STATEHOUSE_TORTURE === "1");
    expect(sized(3, 30)).toBe(TORTURE ? 30 : 3);
    const modes: string[] = [];
    forEachDurability((d) => modes.push(d));
    expect(modes).toEqual([...DURABILITY_MODES]);
    expect(modes).toEqual(TORTURE ? ["strict", "relaxed"] : ["strict"]);
    // In a child with the variable set, the kit switches to the full sizes.
    const script =
      'import("@statehouse/conformance/testing").then((k) => console.log(JSON.stringify([k.TORTURE, k.sized(1, 2), k.DURABILITY_MODES])))';
    const env = { ...process.env, STATEHOUSE_TORTURE: "1" };
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual([true, 2, ["strict", "relaxed"]]);
  });

  it("seededRandom replays the same sequence for a seed, in [0, 1), and another for another seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(first).size).toBeGreaterThan(990);
    const c = seededRandom(43);
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(first.slice(0, 10));
  });

  it("tempDir makes a private directory and cleanup removes it with its contents", () => {
    const { dir, cleanup } = tempDir("kit");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    writeFileSync(join(dir, "f"), "x");
    cleanup();
    expect(existsSync(dir)).toBe(false);
    cleanup();
    expect(dir).toMatch(/\/statehouse-kit-[^/]+$/);
  });

  it("removeDir removes a tree, and a missing directory is no error", () => {
    const { dir } = tempDir("kit-rm");
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    writeFileSync(join(dir, "a", "b", "f"), "x");
    removeDir(dir);
    expect(existsSync(dir)).toBe(false);
    expect(() => removeDir(dir)).not.toThrow();
  });

  describe("runChild", () => {
    afterEach(killChildren);

    it("collects a real child's output, lines as they come, its exit and its last line as JSON", async () => {
      const { dir, cleanup } = tempDir("kit-child");
      try {
        const script = join(dir, "child.mjs");
        const code = [
          'console.log("one");',
          'console.error("oops");',
          "console.log(JSON.stringify({ args: process.argv.slice(2) }));",
          "process.exit(3);",
        ].join(" ");
        writeFileSync(script, code);
        const lines: string[] = [];
        const r = await runChild(script, ["a", "b"], { onLine: (l) => lines.push(l) }).done;
        expect(r).toMatchObject({ code: 3, signal: null, timedOut: false, stderr: "oops\n", json: { args: ["a", "b"] } });
        expect(lines).toEqual(["one", '{"args":["a","b"]}']);
      } finally {
        cleanup();
      }
    });

    it('feeds `input` to stdin (an empty pipe for "", /dev/null without), runs in `cwd`, drops undefined env keys', async () => {
      const { dir, cleanup } = tempDir("kit-child");
      try {
        const script = join(dir, "stdin.mjs");
        const code = [
          'import { fstatSync, readFileSync } from "node:fs";',
          "const stat = fstatSync(0);",
          // Node gives a child a socket pair for a pipe; /dev/null is a character device.
          "const fifo = stat.isSocket() || stat.isFIFO();",
          'const text = readFileSync(0, "utf8");',
          "console.log(JSON.stringify({ fifo, text, cwd: process.cwd(), gone: process.env.KIT_GONE ?? null, kept: process.env.KIT_KEPT }));",
        ].join("\n");
        writeFileSync(script, code);
        const env = { ...process.env, KIT_GONE: undefined, KIT_KEPT: "yes" };
        const piped = await runChild(script, [], { input: "line 1\nline 2", cwd: dir, env }).done;
        expect(piped.json).toEqual({ fifo: true, text: "line 1\nline 2", cwd: realpathSync(dir), gone: null, kept: "yes" });
        expect((await runChild(script, [], { input: "" }).done).json).toMatchObject({ fifo: true, text: "" });
        expect((await runChild(script, []).done).json).toMatchObject({ fifo: false, text: "" });
      } finally {
        cleanup();
      }
    });

    it("evalChild runs module text with node's options first, resolving packages from cwd", async () => {
      const { dir, cleanup } = tempDir("kit-eval");
      try {
        const hook = join(dir, "hook.mjs");
        writeFileSync(hook, "globalThis.hooked = 'yes';");
        const code = [
          'const kit = await import("@statehouse/conformance/testing");',
          "console.log(JSON.stringify({ args: process.argv.slice(1), hooked: globalThis.hooked, kit: typeof kit.runChild }));",
        ].join(" ");
        const r = await evalChild(code, ["a", "b"], { nodeArgs: ["--import", hook], cwd: process.cwd() }).done;
        expect(r.stderr).toBe("");
        expect(r.json).toEqual({ args: ["a", "b"], hooked: "yes", kit: "function" });
      } finally {
        cleanup();
      }
    });

    it("a wrapper that cannot start ends the child with code -1 and says why", async () => {
      const r = await runChild("/nonexistent.mjs", [], { wrap: ["/nonexistent-wrapper-for-the-kit-test"] }).done;
      expect(r.code).toBe(-1);
      expect(r.stderr).toMatch(/spawn failed: .*ENOENT/);
    });

    it("kills a child at its timeout, and waitForLine rejects when a child exits without the line", async () => {
      const { dir, cleanup } = tempDir("kit-child");
      try {
        const script = join(dir, "hang.mjs");
        writeFileSync(script, 'console.log("up"); setInterval(() => undefined, 1000);');
        const hang = runChild(script, [], { timeoutMs: 2_000 });
        await waitForLine(hang.child, "up");
        const r = await hang.done;
        expect(r).toMatchObject({ signal: "SIGKILL", timedOut: true });
        const quiet = runChild(script.replace("hang", "quiet"), []);
        await expect(waitForLine(quiet.child, "never")).rejects.toThrow(/exited/);
      } finally {
        cleanup();
      }
    });
  });

  describe("JsonLinesChild", () => {
    afterEach(killChildren);
    const SCRIPT = [
      'import { createInterface } from "node:readline";',
      'const say = (m) => process.stdout.write(JSON.stringify(m) + "\\n");',
      'say({ t: "ready", argv: process.argv.slice(2) });',
      'process.stdout.write("engine noise, not JSON\\n{not json either\\n");',
      "for await (const line of createInterface({ input: process.stdin })) {",
      '  if (line === "die") { say({ t: "fatal", code: "E_TEST", message: "asked to" }); process.exit(2); }',
      '  if (line === "quit") process.exit(0);',
      '  say({ t: "ack", n: Number(line.startsWith("{") ? JSON.parse(line).n : line) });',
      "}",
    ].join("\n");

    it("waits for messages of a type in order, sends strings and objects, and ignores lines that are not messages", async () => {
      const { dir, cleanup } = tempDir("kit-lines");
      try {
        const script = join(dir, "child.mjs");
        writeFileSync(script, SCRIPT);
        const child = new JsonLinesChild([process.execPath, script, "x"], { cwd: dir, label: "echo" });
        expect(await child.next("ready")).toEqual({ t: "ready", argv: ["x"] });
        child.send("1");
        child.send({ n: 2 });
        child.send("3");
        // The 2nd and 3rd are asked for before the 1st is consumed: each next() takes the next unconsumed one.
        const [second, first] = [child.next("ack"), child.next("ack")];
        expect((await second).n).toBe(1);
        expect((await first).n).toBe(2);
        expect((await child.next("ack")).n).toBe(3);
        expect(child.all("ack")).toHaveLength(3);
        expect(child.messages.map((m) => m.t)).toEqual(["ready", "ack", "ack", "ack"]);
        child.send("quit");
        expect(await child.exit).toEqual({ code: 0, signal: null });
        await expect(child.next("ack", 5_000)).rejects.toThrow(/child echo exited \(code 0/);
        child.send("ignored once the child has gone");
      } finally {
        cleanup();
      }
    });

    it("rejects a pending next() at once on a fatal message or on SIGKILL, and times out on silence", async () => {
      const { dir, cleanup } = tempDir("kit-lines");
      try {
        const script = join(dir, "child.mjs");
        writeFileSync(script, SCRIPT);
        const failing = new JsonLinesChild([process.execPath, script]);
        await failing.next("ready");
        const waiting = failing.next("ack", 60_000);
        const started = Date.now();
        failing.send("die");
        await expect(waiting).rejects.toThrow(/failed \(E_TEST: asked to\) before sending "ack"/);
        expect(Date.now() - started).toBeLessThan(30_000);
        expect((await failing.exit).code).toBe(2);

        const killed = new JsonLinesChild([process.execPath, script]);
        await killed.next("ready");
        const pending = killed.next("ack", 60_000);
        killed.kill();
        await expect(pending).rejects.toThrow(/signal SIGKILL/);
        expect((await killed.exit).signal).toBe("SIGKILL");

        const silent = new JsonLinesChild([process.execPath, script]);
        await silent.next("ready");
        await expect(silent.next("ack", 300)).rejects.toThrow(/sent no "ack" within 300 ms/);
        silent.kill();
        await silent.exit;
      } finally {
        cleanup();
      }
    });

    it("killChildren() ends a JsonLinesChild a failed test left running", async () => {
      const { dir, cleanup } = tempDir("kit-lines");
      try {
        const script = join(dir, "child.mjs");
        writeFileSync(script, SCRIPT);
        const left = new JsonLinesChild([process.execPath, script]);
        await left.next("ready");
        killChildren();
        expect((await left.exit).signal).toBe("SIGKILL");
      } finally {
        cleanup();
      }
    });
  });

  it("unixFetch speaks HTTP over a unix socket: method, path, headers and body both ways", async () => {
    const { dir, cleanup } = tempDir("kit-fetch");
    const socket = join(dir, "s.sock");
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", () => {
        res.setHeader("x-seen", `${req.method} ${req.url} ${req.headers["x-test"]}`);
        res.end(body.toUpperCase());
      });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const init = { method: "POST", headers: { "x-test": "t" }, body: "hello" };
      const response = await unixFetch(socket)("http://any-host/p?q=1", init);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-seen")).toBe("POST /p?q=1 t");
      expect(await response.text()).toBe("HELLO");
      // keepAlive: one connection of its own for several requests, closed by close().
      const opened: import("node:net").Socket[] = [];
      server.on("connection", (c) => opened.push(c));
      const kept = unixFetch(socket, { keepAlive: true });
      for (let i = 0; i < 3; i++) expect(await (await kept("http://x/b", { method: "POST", body: "b" })).text()).toBe("B");
      expect(opened).toHaveLength(1);
      const closed = new Promise((resolve) => opened[0]!.once("close", resolve));
      kept.close();
      await closed;
      // A socket nobody listens on: a typed E_IO naming it, not a raw error.
      const missing = join(dir, "nobody.sock");
      const err = await unixFetch(missing)("http://x/c").catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "E_IO" });
      expect(String((err as Error).message)).toContain(missing);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      cleanup();
    }
  });
});
