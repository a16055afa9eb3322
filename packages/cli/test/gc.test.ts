import { afterEach, describe, expect, it } from "vitest";
import { PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});

describe("statehouse gc", () => {
  it("--dry-run reports and removes nothing; --ended-older-than removes ended sessions only; the policy applies; bad ages exit 2", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sh = at(PERSISTENT.find((a) => a.name === "sqlite")!.url(dir));
    const live = (await sh(["--plain", "session", "create", "--name", "live"])).stdout.trim();
    const ended = (await sh(["--plain", "session", "create", "--name", "ended"])).stdout.trim();
    ok(await sh(["state", "set", "/v", "1", "--session", ended]));
    ok(await sh(["agent", "spawn", ended, "worker"]));
    ok(await sh(["session", "end", ended]));

    const none = await sh(["--json", "gc"]);
    ok(none);
    expect(json(none), "no policy, no flag: no session considered").toMatchObject({ sessions: 0, dryRun: false });

    const dry = await sh(["--json", "gc", "--dry-run", "--ended-older-than", "0s"]);
    ok(dry);
    expect(json(dry)).toEqual({ sessions: 1, stateDocuments: 1, agents: 1, idempotencyRecords: 0, changeSets: 0, dryRun: true });
    ok(await sh(["session", "show", ended]));

    const kept = await sh(["--json", "gc", "--ended-older-than", "30d"]);
    expect(json(kept)).toMatchObject({ sessions: 0 });

    const human = await sh(["gc", "--ended-older-than", "0"]);
    ok(human);
    expect(human.stdout).toMatch(/ended sessions\s*│\s*1/);
    expect(human.stdout).toMatch(/their agents\s*│\s*1/);
    expect((await sh(["session", "show", ended])).code, "the ended session is gone").toBe(3);
    ok(await sh(["session", "show", live]));

    // The default project's retention section is the policy for a bare `gc`.
    const again = (await sh(["--plain", "session", "create"])).stdout.trim();
    ok(await sh(["session", "end", again, "--status", "cancelled"]));
    ok(await sh(["config", "set", "default", '{"retention":{"endedSessionsMaxAgeSeconds":0}}']));
    const plain = await sh(["--plain", "gc"]);
    ok(plain);
    expect(plain.stdout).toContain("sessions\t1");
    expect((await sh(["config", "set", "default", '{"retention":{"endedSessionsMaxAgeSeconds":-5}}'])).code, "a bad policy").toBe(13);
    ok(await sh(["session", "show", live]));

    for (const bad of ["5x", "-1s", "", "1e3"]) {
      const r = await sh(["gc", "--ended-older-than", bad]);
      expect(r.code, show(r)).toBe(2);
    }
    const help = await sh(["gc", "--help"]);
    ok(help);
    expect(help.stdout).toContain("--ended-older-than AGE");
  }, 120_000);
});
