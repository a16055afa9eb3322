import { afterEach, describe, expect, it } from "vitest";
import { PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});

describe("what a store holds: state docs, config list|rm|schema, agent rm", () => {
  it("lists documents and configs (table, --plain, --json), deletes a config and an agent, prints the active schema", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sh = at(PERSISTENT.find((a) => a.name === "sqlite")!.url(dir));
    ok(await sh(["state", "set", "/a", "1"]));
    ok(await sh(["state", "set", "/b", "2", "--doc", "notes"]));
    expect((await sh(["--plain", "state", "docs"])).stdout).toBe("global\nnotes\n");
    expect(json(await sh(["--json", "state", "docs"])).items).toEqual([
      { name: "global", revision: 1 },
      { name: "notes", revision: 1 },
    ]);
    const table = await sh(["state", "docs"]);
    ok(table);
    expect(table.stdout).toMatch(/NAME.*REVISION/);

    ok(await sh(["config", "set", "web", '{"maxConcurrentAgents": 1}']));
    ok(await sh(["config", "set", "api", "{}"]));
    expect((await sh(["--plain", "config", "list"])).stdout).toBe("api\nweb\n");
    expect(json(await sh(["--json", "config", "list", "--limit", "1"])).items).toEqual([{ project: "api", revision: 1, config: {} }]);
    ok(await sh(["config", "rm", "api"]));
    const gone = await sh(["config", "rm", "api"]);
    expect(gone.code, show(gone)).toBe(3);
    expect((await sh(["--plain", "config", "list"])).stdout).toBe("web\n");
    const schema = json(await sh(["--json", "config", "schema"]));
    expect(schema.properties).toHaveProperty("maxConcurrentAgents");

    const sid = (await sh(["--plain", "session", "create", "--project", "web"])).stdout.trim();
    const aid = (await sh(["--plain", "agent", "spawn", sid, "worker"])).stdout.trim();
    const full = await sh(["agent", "spawn", sid, "worker"]);
    expect(full.code, show(full)).toBe(4);
    ok(await sh(["agent", "rm", aid]));
    expect((await sh(["agent", "rm", aid])).code).toBe(3);
    ok(await sh(["agent", "spawn", sid, "worker"]));
    expect((await sh(["agent", "rm", "--help"])).stdout).toContain("statehouse agent rm ID");
  });
});
