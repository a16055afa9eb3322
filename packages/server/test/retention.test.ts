import { readFileSync } from "node:fs";
import { join } from "node:path";
import { open } from "@statehouse/core";
import { afterAll, describe, expect, it } from "vitest";
import { type Daemon, cli, http, scratch, startDaemon, waitFor } from "./daemon-helpers.js";

// Retention in the daemon: a real `statehouse serve` over an SQLite store runs gc on the schedule of
// the default project's `retention` section, logs each run with its counts and counts what it removed
// in /metrics, while an active session and every other record stay. Other processes (the CLI) write
// and read the store meanwhile.

describe("the daemon runs gc on the retention schedule", () => {
  const s = scratch("sh-retention-");
  const url = `sqlite:${join(s.dir, "store.db")}`;
  let daemon: Daemon | undefined;
  const run = async (args: string[]) => {
    const r = await cli(["--store", url, "--no-daemon", ...args], { env: s.env });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const exists = async (id: string) => (await cli(["--store", url, "--no-daemon", "session", "show", id], { env: s.env })).code === 0;

  afterAll(async () => {
    daemon?.child.kill("SIGTERM");
    await daemon?.exited;
    s.cleanup();
  });

  it("nothing is removed without a retention section; with one, ended sessions go on schedule, logged and counted; active ones stay", async () => {
    const live = await run(["--plain", "session", "create", "--name", "live"]);
    const ended = await run(["--plain", "session", "create", "--name", "ended"]);
    await run(["state", "set", "/v", "1", "--session", ended]);
    await run(["session", "end", ended]);
    daemon = await startDaemon(url, [], { env: { ...s.env, STATEHOUSE_SOCKET: join(s.runtime, "d.sock") } });
    const socket = daemon.info.socket;
    const log = () => readFileSync(socket.replace(/\.sock$/, ".log"), "utf8");
    // The first look at the policy comes 5 s after start: past it, with no section, nothing went.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await exists(ended), "opt-in: no retention section, nothing removed").toBe(true);
    expect(log()).not.toMatch(/gc removed/);

    await run(["config", "set", "default", JSON.stringify({ retention: { endedSessionsMaxAgeSeconds: 0, scheduleSeconds: 1 } })]);
    // The policy is looked for every 60 s while absent; restart so the test need not wait a minute.
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    daemon = await startDaemon(url, [], { env: { ...s.env, STATEHOUSE_SOCKET: join(s.runtime, "d.sock") } });
    await waitFor("the ended session removed by the daemon", async () => !(await exists(ended)), 60_000);
    expect(await exists(live), "the active session stays").toBe(true);
    const line = log()
      .split("\n")
      .filter((l) => l.includes("gc removed"))
      .map((l) => JSON.parse(l) as { level: string; gc: Record<string, number> })
      .find((l) => (l.gc.sessions ?? 0) > 0);
    expect(line?.level).toBe("info");
    expect(line?.gc).toMatchObject({ sessions: 1, stateDocuments: 1, dryRun: false });
    const metrics = (await http({ socket: daemon.info.socket }, "GET", "/metrics")).body;
    expect(metrics).toMatch(/statehouse_gc_removed_total\{kind="sessions"\} 1\b/);
    expect(metrics).toMatch(/statehouse_gc_removed_total\{kind="stateDocuments"\} 1\b/);

    // On schedule again (every second): a session ended through the daemon goes too.
    const later = await run(["--plain", "session", "create"]);
    await run(["session", "end", later, "--status", "failed"]);
    await waitFor("the later session removed on the next run", async () => !(await exists(later)), 30_000);
    expect(await exists(live)).toBe(true);
    expect((await http({ socket: daemon.info.socket }, "GET", "/v1/health")).status).toBe(200);

    // A policy the built-in schema would refuse, stored by a process that replaced the schema: the
    // daemon's next run fails, logs it at warn, and the daemon serves on.
    const other = await open(url, { config: { schema: {}, mode: "replace" } });
    await other.config.set("default", { retention: { endedSessionsMaxAgeSeconds: -1, scheduleSeconds: 1 } });
    await other.close();
    await waitFor("the failed run logged", () => /"level":"warn","msg":"gc failed/.test(log()), 30_000);
    expect((await http({ socket: daemon.info.socket }, "GET", "/v1/health")).status).toBe(200);
    expect(daemon.child.exitCode, "the daemon still runs").toBeNull();
  }, 180_000);
});
