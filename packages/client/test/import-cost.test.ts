import { fileURLToPath } from "node:url";
import { evalChild } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";

const REGISTER = fileURLToPath(new URL("./fixtures/trace-register.mjs", import.meta.url));
const CLIENT = fileURLToPath(new URL("../dist/index.js", import.meta.url));

describe("the client stays light (the CLI forwards every hook call through it)", () => {
  it("importing it and making a call loads no adapter, no server framework, not core's main entry", async () => {
    // A call against an absent socket exercises the error path too (E_UNAVAILABLE from core/errors).
    const script = `const { open } = await import(${JSON.stringify(CLIENT)});
      const s = await open("unix:/nonexistent/statehouse.sock");
      const code = await s.state().get("/x").then(() => "none", (e) => e.code);
      await s.close();
      console.log(code);`;
    const r = await evalChild(script, [], { nodeArgs: ["--import", REGISTER] }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("E_UNAVAILABLE");
    const loaded = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("loaded "))
      .map((l) => l.slice("loaded ".length));
    expect(loaded.some((u) => u.endsWith("/client/dist/index.js"))).toBe(true);
    const files = loaded.filter((u) => u.startsWith("file:"));
    const heavy = files.filter((u) => /fastify|adapter-|better-sqlite3|lmdb|json-p3|re2js|cfworker|\/core\/dist\/index\.js/.test(u));
    expect(heavy).toEqual([]);
    // The client, core's errors and validation entries and their shared chunks: a handful of small files.
    expect(files.length).toBeLessThanOrEqual(8);
  });
});
