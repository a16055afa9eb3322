import { Agent, request } from "node:http";
import { join } from "node:path";
import { IoError } from "@statehouse/core";
import { type BenchServer, startBenchDaemon, startFloorServer } from "../daemon-process.js";
import { fromSamples } from "../measure.js";
import { timeProcess } from "../process-timing.js";
import { PROCESS_FLOOR_KEY, type Scenario, failedResult, okResult, resultKey } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { CLI_COMMANDS, locateCli } from "./cli.js";

/** The curl floor's key: `curl --unix-socket` against a trivial node:http server, whole process. */
export const CURL_FLOOR_KEY = resultKey("process", undefined, "curl-unix-floor", {});
/** The in-process floor's key: one keep-alive node:http request to a trivial server on a unix socket. */
export const HTTP_FLOOR_KEY = resultKey("process", undefined, "http-get-unix-floor", {});

/** Round trips timed in process: a warm-up, then this many, one at a time. */
const ROUND_TRIPS = 2000;

/** Times `call` ROUND_TRIPS times in a row (after a warm-up of a tenth as many); milliseconds each. */
async function roundTrips(call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < ROUND_TRIPS / 10; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** One GET over a keep-alive agent on a unix socket: the floor of the client's round trip. */
function httpGet(agent: Agent, socket: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", reject);
    req.end();
  });
}

export function curl(socket: string, method: string, path: string, body?: string) {
  const args = ["-sf", "--unix-socket", socket, "-X", method, `http://localhost${path}`];
  if (body !== undefined) args.push("-H", "content-type: application/json", "-d", body);
  return timeProcess("curl", args);
}

export function curlMissing(): string | undefined {
  try {
    const r = timeProcess("curl", ["--version"]);
    return r.status === 0 ? undefined : "curl --version failed";
  } catch {
    return "curl is not installed";
  }
}

/** `curl --unix-socket` against a trivial node:http server: the floor of every curl → daemon row. */
export const curlFloorScenario: Scenario = {
  name: "curl-floor",
  group: "floor",
  title: "Process floor (curl --unix-socket to a trivial node:http server) and its in-process round trip",
  perAdapter: false,
  writes: false,
  ops: () => ["curl-unix-floor", "http-get-unix-floor"],
  async run(ctx) {
    const server = await startFloorServer(join(ctx.dir, "floor.sock"));
    const out: BenchResult[] = [];
    try {
      const missing = curlMissing();
      if (missing !== undefined) out.push(failedResult(ctx.job, "curl-unix-floor", missing, "skipped"));
      else {
        curl(server.socket, "GET", "/"); // warm the page cache
        const samples: number[] = [];
        for (let i = 0; i < ctx.job.settings.processRuns; i++) {
          const r = curl(server.socket, "GET", "/v1/state/global?pointer=/probe");
          if (r.status !== 0) throw new IoError(`curl exited ${r.status}: ${r.stderr}`);
          samples.push(r.ms);
        }
        out.push(okResult(ctx.job, "curl-unix-floor", fromSamples(samples), { adapter: "process" }));
      }
      // The remote client's round trip, less everything statehouse does: node:http, keep-alive, a unix socket.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const samples = await roundTrips(() => httpGet(agent, server.socket, "/v1/state/global?pointer=/probe"));
        out.push(okResult(ctx.job, "http-get-unix-floor", fromSamples(samples, ROUND_TRIPS), { adapter: "process" }));
      } finally {
        agent.destroy();
      }
      return out;
    } finally {
      await server.stop();
    }
  },
};

/** The curl rows: each hook call of the v2 comparison (v2-peer.ts), plus an increment. */
const CURL_OPS = [
  "daemon-curl-state-get",
  "daemon-curl-state-set",
  "daemon-curl-state-incr",
  "daemon-curl-session-create",
  "daemon-curl-session-list",
  "daemon-curl-config-get",
] as const;

/** The CLI forwarding to the daemon: the direct CLI rows' commands (cli.ts), as `daemon-cli-*`. */
const FORWARDED = CLI_COMMANDS.map((c) => ({ op: `daemon-${c.op}`, args: c.args }));

const PROCESS_OPS = [...CURL_OPS, ...FORWARDED.map((c) => c.op), "daemon-client-state-get"];

/** The project config the config rows read: the same as the direct CLI's and the v2 peer's. */
const WEB_CONFIG = '{"name":"web","maxConcurrentAgents":4}';

/**
 * Whole-process timings through a daemon over this adapter, as a hook pays them: curl for each
 * hook call the v2 comparison times (state get and set, session create and list, config get) and
 * an increment, beside the curl floor; and the CLI forwarding the same commands to the daemon,
 * beside `node -e 0`.
 */
export const daemonScenario: Scenario = {
  name: "daemon",
  group: "cli",
  title: "Daemon: whole-process curl and CLI through statehouse serve",
  perAdapter: true,
  writes: false,
  ops: () => [...PROCESS_OPS],
  async run(ctx): Promise<BenchResult[]> {
    const skipAll = (reason: string) => PROCESS_OPS.map((op) => failedResult(ctx.job, op, reason, "skipped"));
    // The CLI never forwards a memory: store (each process would have its own), so its rows would time a different store.
    if (ctx.adapter?.name === "memory") return skipAll("the CLI does not forward a memory: store to a daemon: each process has its own");
    const where = locateCli();
    if ("missing" in where) return skipAll(`CLI not available: ${where.missing}`);
    const missing = curlMissing();
    let daemon: BenchServer | undefined;
    try {
      daemon = await startBenchDaemon(where.bin, ctx.url, join(ctx.dir, "d.sock"));
      const socket = daemon.socket;
      const out: BenchResult[] = [];
      const timed = (op: string, floor: string, run: () => ReturnType<typeof timeProcess>) => {
        const first = run();
        if (first.status !== 0)
          return out.push(failedResult(ctx.job, op, `exited ${first.status}: ${(first.stderr || first.stdout).trim().slice(0, 300)}`));
        const samples: number[] = [];
        for (let i = 0; i < ctx.job.settings.processRuns; i++) {
          const r = run();
          if (r.status !== 0) return out.push(failedResult(ctx.job, op, `run ${i} exited ${r.status}: ${r.stderr.trim().slice(0, 300)}`));
          samples.push(r.ms);
        }
        return out.push(okResult(ctx.job, op, fromSamples(samples), { floor }));
      };
      const set = curl(socket, "PUT", "/v1/state/global?pointer=/probe", "1");
      const config = curl(socket, "PUT", "/v1/config/web", WEB_CONFIG);
      if (missing !== undefined || set.status !== 0 || config.status !== 0) {
        const why = missing ?? `curl PUT /v1/state/global?pointer=/probe exited ${set.status}, PUT /v1/config/web ${config.status}`;
        for (const op of CURL_OPS) out.push(failedResult(ctx.job, op, why, "skipped"));
      } else {
        timed("daemon-curl-state-get", CURL_FLOOR_KEY, () => curl(socket, "GET", "/v1/state/global?pointer=/probe"));
        timed("daemon-curl-state-set", CURL_FLOOR_KEY, () => curl(socket, "PUT", "/v1/state/global?pointer=/probe", "2"));
        timed("daemon-curl-state-incr", CURL_FLOOR_KEY, () => curl(socket, "POST", "/v1/state/global/increment", '{"pointer":"/n"}'));
        timed("daemon-curl-session-create", CURL_FLOOR_KEY, () => curl(socket, "POST", "/v1/sessions", "{}"));
        timed("daemon-curl-session-list", CURL_FLOOR_KEY, () => curl(socket, "GET", "/v1/sessions"));
        timed("daemon-curl-config-get", CURL_FLOOR_KEY, () => curl(socket, "GET", "/v1/config/web"));
      }
      // In process: the remote client's state get over the socket, one round trip at a time.
      try {
        const { open: openClient } = await import("@statehouse/client");
        const client = await openClient(`unix:${socket}`);
        try {
          const doc = client.state("global");
          const samples = await roundTrips(() => doc.at("/probe"));
          out.push(okResult(ctx.job, "daemon-client-state-get", fromSamples(samples, ROUND_TRIPS), { floor: HTTP_FLOOR_KEY }));
        } finally {
          await client.close();
        }
      } catch (err) {
        out.push(failedResult(ctx.job, "daemon-client-state-get", err));
      }
      // The CLI finds the daemon by its discovery file, next to STATEHOUSE_SOCKET.
      const env = { ...process.env, STATEHOUSE_SOCKET: socket };
      for (const c of FORWARDED)
        timed(c.op, PROCESS_FLOOR_KEY, () =>
          timeProcess(process.execPath, [where.bin, "--store", ctx.url, "--json", ...c.args], { cwd: ctx.dir, env }),
        );
      return out;
    } catch (err) {
      return PROCESS_OPS.map((op) => failedResult(ctx.job, op, err));
    } finally {
      await daemon?.stop();
    }
  },
};
