import { afterAll, describe, expect, it } from "vitest";
import { type Result, at, cleanup, show, tempDir } from "./helpers.js";

/**
 * Issue 14, "History": CLI users set how many revisions each document keeps in the `default`
 * project's config; every CLI process (each a new process, as hooks are) reads it at open.
 */
const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) cleanup(d);
});

describe("history.limit in the default project's config", () => {
  it("each CLI process keeps the configured number of earlier revisions; a bad limit is refused, the stored one kept", async () => {
    const dir = tempDir("cli-history-config");
    dirs.push(dir);
    const sh = at(`sqlite:${dir}/store.db`);
    ok(await sh(["config", "set", "default", '{"history": {"limit": 2}}']));
    for (let i = 1; i <= 5; i++) ok(await sh(["state", "set", "/n", String(i)]));
    const listed = await sh(["--plain", "state", "history"]);
    ok(listed);
    expect(listed.stdout, "the current revision and the 2 earlier ones").toBe("5\n4\n3\n");
    const gone = await sh(["state", "get", "/n", "--revision", "2"]);
    expect(gone.code, show(gone)).toBe(3);
    // Raised again: later writes keep more.
    ok(await sh(["config", "set", "default", '{"history": {"limit": 4}}']));
    for (let i = 6; i <= 8; i++) ok(await sh(["state", "set", "/n", String(i)]));
    expect((await sh(["--plain", "state", "history"])).stdout).toBe("8\n7\n6\n5\n4\n");
    const bad = await sh(["config", "set", "default", '{"history": {"limit": 5000}}']);
    expect(bad.code, show(bad)).not.toBe(0);
    expect(bad.stderr).toContain("history");
    expect((await sh(["--json", "config", "get", "default"])).stdout).toContain('"limit":4');
  }, 120_000);
});
