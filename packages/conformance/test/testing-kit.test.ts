import { spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import {
  DURABILITY_MODES,
  TORTURE,
  forEachDurability,
  killChildren,
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
    } finally {
      await new Promise((resolve) => server.close(resolve));
      cleanup();
    }
  });
});
