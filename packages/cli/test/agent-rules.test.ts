import { openAdapterUrl } from "@statehouse/core/spi";
import { afterEach, describe, expect, it } from "vitest";
import { PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});
function fresh(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

describe.each(PERSISTENT)("agents follow their sessions, from the CLI ($name)", (adapter) => {
  it("a stale agent is listed stale and `agent reap` marks it failed; the fresh one stays", async () => {
    const sh = at(adapter.url(fresh()));
    ok(await sh(["config", "set", "p", '{"heartbeatTimeoutSeconds": 6}']));
    ok(await sh(["session", "create", "--id", "s", "--project", "p"]));
    ok(await sh(["agent", "spawn", "s", "coder", "--id", "quiet"]));
    ok(await sh(["agent", "spawn", "s", "coder", "--id", "alive"]));
    // Generous: each CLI call is a whole process, about a second on a loaded machine.
    await new Promise((r) => setTimeout(r, 6_500));
    ok(await sh(["agent", "heartbeat", "alive"]));
    const listed = await sh(["--json", "agent", "list", "--session", "s"]);
    ok(listed);
    expect(
      json(listed)
        .items.map((a: { id: string; stale?: boolean }) => [a.id, a.stale ?? false])
        .sort(),
    ).toEqual([
      ["alive", false],
      ["quiet", true],
    ]);
    const human = await sh(["agent", "list"]);
    expect(human.stdout).toMatch(/quiet.*\(stale\)/);
    const reaped = await sh(["--json", "agent", "reap"]);
    ok(reaped);
    expect(json(reaped).reaped.map((a: { id: string; status: string }) => [a.id, a.status])).toEqual([["quiet", "failed"]]);
    ok(await sh(["agent", "heartbeat", "alive"]));
    const again = await sh(["--plain", "agent", "reap"]);
    ok(again);
    expect(again.stdout).toBe("");
  }, 60_000);

  it("a write to the state of a missing session is E_NOT_FOUND (exit 3); doctor --repair removes orphans an older store holds", async () => {
    const url = adapter.url(fresh());
    const sh = at(url);
    const r = await sh(["state", "set", "/a", "1", "--session", "ghost"]);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain("E_NOT_FOUND");
    ok(await sh(["session", "create", "--id", "kept"]));
    ok(await sh(["state", "set", "/a", "1", "--session", "kept"]));
    // What an older statehouse let through: written under the domain, as such a store holds it.
    const raw = await openAdapterUrl(url);
    await raw.transact((tx) => {
      tx.put("session-state", "ghost", { a: 1 });
      tx.put(
        "agents",
        "lost",
        {
          id: "lost",
          sessionId: "gone",
          role: "r",
          status: "running",
          pid: null,
          createdAt: "2026-01-01T00:00:00.000Z",
          updatedAt: "2026-01-01T00:00:00.000Z",
          heartbeatAt: null,
          metadata: {},
        },
        {
          index: {
            session: "gone\u00002026-01-01T00:00:00.000Z",
            "session-status": "gone\u0000running\u00002026-01-01T00:00:00.000Z",
            status: "running\u00002026-01-01T00:00:00.000Z",
          },
        },
      );
    });
    // …and the history such a document kept (a session deleted by something that left its history).
    await raw.transact((tx) => {
      tx.put("history", "s.ghost@0000000000000001", { a: 0 });
      tx.put("history-meta", "s.ghost", {
        collection: "session-state",
        document: "ghost",
        revision: 2,
        at: "2026-01-01T00:00:00.000Z",
        size: 7,
        entries: [{ revision: 1, at: null, size: 7 }],
      });
    });
    await raw.close();
    const found = await sh(["--json", "doctor"]);
    expect(found.code, show(found)).toBe(9);
    expect(JSON.stringify(json(found).problems)).toContain('the history of the state document of session \\"ghost\\" has no session');
    const repaired = await sh(["--json", "doctor", "--repair"]);
    ok(repaired);
    expect(json(repaired).repaired.sort()).toEqual([
      'removed agent "lost" of the missing session "gone"',
      'removed the history of the state document of the missing session "ghost"',
      'removed the state document of the missing session "ghost"',
    ]);
    const after = await openAdapterUrl(url);
    expect(
      (await after.list("history")).records.map((r) => r.id),
      "the orphaned history is gone, the kept session's stays",
    ).toEqual([]);
    expect((await after.list("history-meta")).records.map((r) => r.id)).toEqual(["s.kept"]);
    await after.close();
    ok(await sh(["doctor"]));
    const kept = await sh(["state", "get", "/a", "--session", "kept"]);
    expect(kept.stdout.trim()).toBe("1");
  }, 60_000);
});
