import { afterEach, describe, expect, it } from "vitest";
import { PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});

describe("statehouse --idempotency-key", () => {
  it("a hook retried with the same key prints the first result and changes nothing; another request under the key exits 4; a bad key is a validation error", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sh = at(PERSISTENT.find((a) => a.name === "file")!.url(dir));
    const first = await sh(["--json", "state", "incr", "/runs", "--idempotency-key", "hook-42"]);
    ok(first);
    const again = await sh(["--json", "state", "incr", "/runs", "--idempotency-key", "hook-42"]);
    ok(again);
    expect(json(again).value).toBe(1);
    expect(json(again).revision).toBe(json(first).revision);
    expect((await sh(["state", "get", "/runs"])).stdout.trim()).toBe("1");

    const created = await sh(["--plain", "session", "create", "--name", "s", "--idempotency-key", "create-1"]);
    ok(created);
    const recreated = await sh(["--plain", "session", "create", "--name", "s", "--idempotency-key", "create-1"]);
    expect(recreated.stdout, "the retry prints the same session").toBe(created.stdout);
    const sid = created.stdout.trim();
    const spawned = await sh(["--plain", "agent", "spawn", sid, "worker", "--idempotency-key", "spawn-1"]);
    ok(spawned);
    expect((await sh(["--plain", "agent", "spawn", sid, "worker", "--idempotency-key", "spawn-1"])).stdout).toBe(spawned.stdout);
    expect(json(await sh(["--json", "agent", "list", "--session", sid])).items).toHaveLength(1);
    const ops = '[{"op":"state.increment","pointer":"/batches"}]';
    ok(await sh(["batch", "--idempotency-key", "batch-1"], { input: ops }));
    ok(await sh(["batch", "--idempotency-key", "batch-1"], { input: ops }));
    expect((await sh(["state", "get", "/batches"])).stdout.trim()).toBe("1");

    const reused = await sh(["--json", "state", "set", "/x", "1", "--idempotency-key", "hook-42"]);
    expect(reused.code, show(reused)).toBe(4);
    expect(JSON.parse(reused.stderr).error).toMatchObject({ code: "E_CONFLICT", details: { reason: "idempotency-key-reused" } });
    const bad = await sh(["state", "set", "/x", "1", "--idempotency-key", "x".repeat(300)]);
    expect(bad.code, show(bad)).toBe(5);
    const help = await sh(["state", "set", "--help"]);
    expect(help.stdout).toContain("--idempotency-key KEY");

    // The keys travel with the data: after a migration a retry still replays.
    const copyDir = tempDir();
    dirs.push(copyDir);
    const copyUrl = PERSISTENT.find((a) => a.name === "sqlite")!.url(copyDir);
    ok(await sh(["migrate", "--to", copyUrl]));
    const copied = at(copyUrl);
    const replayed = await copied(["--json", "state", "incr", "/runs", "--idempotency-key", "hook-42"]);
    ok(replayed);
    expect(json(replayed).value, "replayed on the copy").toBe(1);
    expect((await copied(["state", "get", "/runs"])).stdout.trim()).toBe("1");
  });
});
