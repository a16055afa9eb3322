import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runChild, waitForLine } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Daemon, PACKAGES, cli, http, scratch, startDaemon, waitFor } from "./daemon-helpers.js";
import { SseClient } from "./sse.js";

// Alerts end to end: a real daemon (`statehouse serve`) over a file store judges the KPIs every
// 0.2 s with tiny thresholds from the project config, real operations drive each KPI past its
// threshold, and the lifecycle pending → firing → resolved is read back from the store by the CLI
// (a second process), from GET /v1/alerts and from the event stream's `alerts` topic.

interface AlertJson {
  id: string;
  kpi: string;
  state: "pending" | "firing" | "resolved";
  value: number;
  startedAt: string;
  firedAt?: string;
  resolvedAt?: string;
  message: string;
}

/** Noise on a loaded test machine, off for this test: the daemon's own CPU, memory and commit rate. */
const QUIET = {
  memory: { enabled: false },
  cpu: { enabled: false },
  "disk-io": { enabled: false },
  "operation-failures": { enabled: false },
};

function alertsConfig(rules: Record<string, unknown>): string {
  return JSON.stringify({
    heartbeatTimeoutSeconds: 1,
    maxConcurrentAgents: 1,
    alerts: { evaluateEverySeconds: 0.2, windowSeconds: 2, forSeconds: 1.5, rules: { ...QUIET, ...rules } },
  });
}

const HOLDER = `
import { writeSync } from "node:fs";
const { openAdapterUrl } = await import(process.argv[4]);
const adapter = await openAdapterUrl(process.argv[2]);
// The file and SQLite adapters rehearse an instance's first transaction outside the lock: a
// transaction without writes first, so that "locked" below is said with the lock held.
await adapter.transact((tx) => tx.get("state", "warm-up"));
await adapter.transact((tx) => {
  tx.put("state", "held", { holder: true });
  writeSync(1, "locked\\n");
  const end = Date.now() + Number(process.argv[3]);
  while (Date.now() < end) {}
});
await adapter.close();
`;

describe("alerts kept in the store, judged by the daemon", () => {
  const s = scratch("alerts");
  const url = `file:${join(s.dir, "store")}`;
  let daemon: Daemon;
  let socket: string;
  let events: SseClient;
  /** The CLI, a second process, reading the store directly (never through the daemon). */
  const alertsFromCli = async (all: boolean): Promise<AlertJson[]> => {
    const r = await cli(["--store", url, "--json", "alerts", ...(all ? ["--all"] : [])], { env: s.env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout).items;
  };
  const alertsFromApi = async (): Promise<AlertJson[]> => JSON.parse((await http({ socket }, "GET", "/v1/alerts?all=true")).body).items;
  const episode = async (kpi: string, state: AlertJson["state"], timeoutMs = 30_000): Promise<AlertJson> => {
    let found: AlertJson | undefined;
    await waitFor(
      `${kpi} ${state}`,
      async () => {
        found = (await alertsFromApi()).find((a) => a.kpi === kpi && a.state === state);
        return found !== undefined;
      },
      timeoutMs,
    );
    return found!;
  };
  const setConfig = async (rules: Record<string, unknown>) => {
    const r = await cli(["--store", url, "--no-daemon", "config", "set", "default", alertsConfig(rules)], { env: s.env });
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    // Everything quiet but the KPI of the first case; later cases change the config while the daemon runs.
    await setConfig({
      "state-query-latency": { threshold: 0.000001, forSeconds: 4 },
      "lock-timeouts": { enabled: false },
      "agent-spawn-success": { enabled: false },
      "stale-agents": { enabled: false },
    });
    // --lock-timeout 200: the daemon's writes wait 200 ms for a lock another process holds.
    daemon = await startDaemon(url, ["--lock-timeout", "200"], { env: { ...s.env, STATEHOUSE_SOCKET: join(s.runtime, "d.sock") } });
    socket = daemon.info.socket;
    events = new SseClient(socket);
    await events.ready;
  }, 60_000);
  afterAll(async () => {
    events?.close();
    daemon?.child.kill("SIGTERM");
    await daemon?.exited;
    s.cleanup();
  });

  it("slow state queries (threshold 1 ns): pending, then firing, then resolved once they stop; the CLI sees each state", async () => {
    expect((await http({ socket }, "PUT", "/v1/state/global?pointer=/x", { body: 1 })).status).toBe(200);
    let querying = true;
    const load = (async () => {
      while (querying) {
        await http({ socket }, "GET", "/v1/state/global?pointer=/x");
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const pending = await episode("state-query-latency", "pending");
      // The CLI, another process, reads the same alert from the store while it is pending (forSeconds 4).
      expect((await alertsFromCli(false)).find((a) => a.id === pending.id)).toMatchObject({ state: "pending" });
      const firing = await episode("state-query-latency", "firing");
      expect(firing.id).toBe(pending.id);
      expect((await alertsFromCli(false)).find((a) => a.id === pending.id)).toMatchObject({ state: "firing" });
    } finally {
      querying = false;
      await load;
    }
    const resolved = await episode("state-query-latency", "resolved");
    const history = await alertsFromCli(true);
    const mine = history.find((a) => a.id === resolved.id)!;
    expect(mine).toMatchObject({ kpi: "state-query-latency", state: "resolved" });
    expect(Date.parse(mine.startedAt)).toBeLessThanOrEqual(Date.parse(mine.firedAt!));
    expect(Date.parse(mine.firedAt!)).toBeLessThanOrEqual(Date.parse(mine.resolvedAt!));
    expect(mine.message).toMatch(/^state query average: [\d.e-]+ ms \(threshold > 0\.000001 ms over 2 s\)$/);
    // Not active any more: the default listing leaves it out.
    expect((await alertsFromCli(false)).some((a) => a.id === mine.id)).toBe(false);
    // The event stream's alerts topic carried each state of it.
    await events.until(() => topicStates(events, mine.id).includes("resolved"), 10_000, "the resolved alert on the stream");
    expect(topicStates(events, mine.id)).toEqual(["pending", "firing", "resolved"]);
    // And the human table names it.
    const table = await cli(["--store", url, "alerts", "--all"], { env: { ...s.env, NO_COLOR: "1" } });
    expect(table.stdout).toMatch(/STATE\s*│\s*KPI\s*│\s*VALUE\s*│\s*THRESHOLD/);
    expect(table.stdout).toMatch(/resolved\s*│\s*state-query-latency\s*│\s*[\d.]+ ms\s*│\s*> 0\.000001 ms/);
  });

  it("failing spawns and a stale agent, with thresholds changed while the daemon runs", async () => {
    await setConfig({ "state-query-latency": { enabled: false }, "lock-timeouts": { enabled: false } });
    const session = JSON.parse((await http({ socket }, "POST", "/v1/sessions", { body: { project: "default" } })).body);
    const first = await http({ socket }, "POST", "/v1/agents", { body: { sessionId: session.id, role: "worker" } });
    expect(first.status).toBe(201);
    const agent = JSON.parse(first.body);
    // maxConcurrentAgents 1: every further spawn is refused.
    for (let i = 0; i < 4; i++)
      expect(
        (await http({ socket }, "POST", "/v1/agents", { body: { sessionId: session.id, role: "worker" } })).status,
      ).toBeGreaterThanOrEqual(400);
    const spawnFiring = await episode("agent-spawn-success", "firing");
    expect(spawnFiring.value).toBeLessThan(95);
    // heartbeatTimeoutSeconds 1 and no heartbeat: the agent is stale.
    const stale = await episode("stale-agents", "firing");
    expect(stale.value).toBe(1);
    expect((await http({ socket }, "PATCH", `/v1/agents/${agent.id}`, { body: { status: "completed" } })).status).toBe(200);
    await episode("stale-agents", "resolved");
    // The failed spawns leave the 2 s window: resolved.
    await episode("agent-spawn-success", "resolved");
    const history = await alertsFromCli(true);
    for (const kpi of ["agent-spawn-success", "stale-agents"]) {
      const a = history.find((x) => x.kpi === kpi)!;
      expect(a).toMatchObject({ state: "resolved" });
      expect(a.firedAt).toBeDefined();
    }
  });

  it("lock timeouts from a lock another process holds", async () => {
    await setConfig({
      "state-query-latency": { enabled: false },
      "agent-spawn-success": { enabled: false },
      "stale-agents": { enabled: false },
      "lock-timeouts": { windowSeconds: 5, forSeconds: 1 },
    });
    // Let the new config be read before the lock is taken (the evaluator reads it from the store too).
    await new Promise((r) => setTimeout(r, 500));
    const script = join(s.dir, "holder.mjs");
    writeFileSync(script, HOLDER);
    const core = pathToFileURL(join(PACKAGES, "core", "dist", "spi.js")).href;
    const holder = runChild(script, [url, "2500", core]);
    const exited = holder.done.then((r) => r.code);
    await waitForLine(holder.child, "locked");
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await http({ socket }, "PUT", "/v1/state/global?pointer=/y", { body: i });
      codes.push(r.status === 200 ? "ok" : JSON.parse(r.body).code);
    }
    expect(await exited).toBe(0);
    expect(codes).toContain("E_LOCK_TIMEOUT");
    const firing = await episode("lock-timeouts", "firing");
    expect(firing.value).toBeGreaterThan(5);
    await episode("lock-timeouts", "resolved");
  });

  it("the config schema refuses a bad alerts section (an unknown KPI, a negative window) before it lands", async () => {
    for (const bad of [{ rules: { nope: { threshold: 1 } } }, { windowSeconds: -1 }, { rules: { cpu: { threshold: "high" } } }]) {
      const r = await cli(["--store", url, "--no-daemon", "--json", "config", "set", "default", JSON.stringify({ alerts: bad })], {
        env: s.env,
      });
      expect(r.code, r.stderr).toBe(13);
      expect(JSON.parse(r.stderr).error.code).toBe("E_CONFIG");
    }
    // The history survives a restart of the daemon: it is in the store.
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    daemon = await startDaemon(url, [], { env: { ...s.env, STATEHOUSE_SOCKET: join(s.runtime, "d.sock") } });
    socket = daemon.info.socket;
    const kpis = new Set((await alertsFromApi()).map((a) => a.kpi));
    // The OpenAPI document lists the route.
    const doc = JSON.parse((await http({ socket }, "GET", "/v1/openapi.json")).body);
    expect(doc.paths["/v1/alerts"].get.summary).toMatch(/^Alerts kept in the store/);
    for (const k of ["state-query-latency", "agent-spawn-success", "stale-agents", "lock-timeouts"]) expect(kpis).toContain(k);
  });
});

function topicStates(events: SseClient, id: string): string[] {
  return events.events
    .filter((e) => e.event === "alerts")
    .flatMap((e) => (JSON.parse(e.data ?? "{}").alerts as AlertJson[]).filter((a) => a.id === id).map((a) => a.state));
}
