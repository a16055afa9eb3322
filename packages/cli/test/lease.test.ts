import { afterEach, describe, expect, it } from "vitest";
import { PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});

describe("statehouse lease", () => {
  it("acquire prints the token; held by another: exit 4 naming the holder; --if-lease fences writes; renew, release, show", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sh = at(PERSISTENT.find((a) => a.name === "sqlite")!.url(dir));
    const a = await sh(["lease", "acquire", "deploy", "--holder", "a1", "--ttl", "60000"]);
    ok(a);
    expect(a.stdout.trim()).toBe("1");
    const held = await sh(["lease", "acquire", "deploy", "--holder", "a2", "--ttl", "1000"]);
    expect(held.code, show(held)).toBe(4);
    expect(held.stderr).toContain('held by "a1"');
    ok(await sh(["state", "set", "/phase", '"deploy"', "--if-lease", "deploy:1"]));
    const wrong = await sh(["state", "incr", "/n", "--if-lease", "deploy:2"]);
    expect(wrong.code, show(wrong)).toBe(4);
    const renewed = await sh(["--json", "lease", "renew", "deploy", "--token", "1", "--ttl", "1"]);
    ok(renewed);
    expect(json(renewed)).toMatchObject({ name: "deploy", holder: "a1", token: 1 });
    await new Promise((r) => setTimeout(r, 50));
    const b = await sh(["--plain", "lease", "acquire", "deploy", "--holder", "a2", "--ttl", "60000"]);
    ok(b);
    expect(b.stdout.trim(), "the next holder, the next token").toBe("2");
    const stale = await sh(["--json", "state", "set", "/phase", '"late"', "--if-lease", "deploy:1"]);
    expect(stale.code, show(stale)).toBe(4);
    expect(JSON.parse(stale.stderr).error.details).toMatchObject({ lease: "deploy", currentToken: 2 });
    const shown = await sh(["--json", "lease", "show", "deploy"]);
    expect(json(shown)).toMatchObject({ holder: "a2", token: 2, held: true });
    ok(await sh(["lease", "release", "deploy", "--token", "2"]));
    expect(json(await sh(["--json", "lease", "show", "deploy"]))).toMatchObject({ holder: null, token: 2, held: false });
    expect((await sh(["state", "get", "/phase"])).stdout.trim()).toBe('"deploy"');
    const missing = await sh(["lease", "show", "nothing"]);
    expect(missing.code, show(missing)).toBe(3);
    for (const bad of [
      ["lease", "acquire", "x", "--ttl", "10"],
      ["lease", "acquire", "x", "--holder", "h", "--ttl", "0"],
      ["state", "set", "/a", "1", "--if-lease", "x"],
    ]) {
      const r = await sh(bad);
      expect(r.code, show(r)).toBe(2);
    }
  }, 120_000);
});
