import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { IoError } from "@statehouse/core";
import { startFloorServer } from "../daemon-process.js";
import { fromSamples } from "../measure.js";
import { type Scenario, type ScenarioContext, failedResult, okResult, resultKey } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { unixFetch } from "@statehouse/conformance/testing";

/** The stdio floor's key: a JSON-RPC line echoed back by a trivial node child over its stdin/stdout. */
export const STDIO_ECHO_FLOOR_KEY = resultKey("process", undefined, "stdio-echo-floor", {});
/** The HTTP floor's key: a JSON-RPC POST answered by a trivial node:http server on a unix socket, keep-alive. */
export const HTTP_UNIX_FLOOR_KEY = resultKey("process", undefined, "http-unix-floor", {});

/** The message both floors carry: what the SDK's client sends for a `state_get` call. */
const MESSAGE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "state_get", arguments: { query: "/probe" } },
});
/** Round trips timed per floor, as many as the mcp scenario times per operation. */
export const CALLS_PER_PROCESS_RUN = 10;
export const WARM_UP = 20;

async function timed(ctx: ScenarioContext, once: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < ctx.job.settings.processRuns * CALLS_PER_PROCESS_RUN; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return samples;
}

async function stdioEcho(ctx: ScenarioContext): Promise<BenchResult> {
  const code = `require("node:readline").createInterface({input:process.stdin}).on("line",(l)=>process.stdout.write(l+"\\n"))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  let waiting: ((line: string) => void) | undefined;
  lines.on("line", (l) => waiting?.(l));
  const exited = new Promise<never>((_, reject) => child.once("exit", (c) => reject(new IoError(`the echo child exited (${c})`))));
  try {
    const once = () =>
      Promise.race([
        exited,
        new Promise<void>((resolve, reject) => {
          waiting = (l) => (l === MESSAGE ? resolve() : reject(new IoError(`the echo child answered ${l.slice(0, 80)}`)));
          child.stdin.write(`${MESSAGE}\n`);
        }),
      ]);
    return okResult(ctx.job, "stdio-echo-floor", fromSamples(await timed(ctx, once)), { adapter: "process" });
  } finally {
    exited.catch(() => {});
    child.stdin.end();
    child.kill();
  }
}

async function httpUnix(ctx: ScenarioContext): Promise<BenchResult> {
  const server = await startFloorServer(join(ctx.dir, "mcp-floor.sock"));
  const fetch = unixFetch(server.socket, { keepAlive: true });
  try {
    const once = async () => {
      const res = await fetch("http://localhost/mcp", { method: "POST", headers: { "content-type": "application/json" }, body: MESSAGE });
      if (res.status !== 200 || (await res.text()) !== "{}") throw new IoError(`the floor server answered ${res.status}`);
    };
    return okResult(ctx.job, "http-unix-floor", fromSamples(await timed(ctx, once)), { adapter: "process" });
  } finally {
    fetch.close();
    await server.stop();
  }
}

/**
 * The floors of the MCP rows: the same JSON-RPC message to a trivial peer and back, over the same
 * transports (a child's stdio; HTTP on a unix socket through the same keep-alive fetch), with no
 * MCP SDK and no store: what no MCP server can beat on this machine.
 */
export const mcpFloorScenario: Scenario = {
  name: "mcp-floor",
  group: "floor",
  title: "MCP floors (a JSON-RPC message echoed over stdio; POSTed to a trivial node:http server on a unix socket)",
  perAdapter: false,
  writes: false,
  ops: () => ["stdio-echo-floor", "http-unix-floor"],
  async run(ctx): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    for (const [op, fn] of [
      ["stdio-echo-floor", stdioEcho],
      ["http-unix-floor", httpUnix],
    ] as const) {
      try {
        out.push(await fn(ctx));
      } catch (err) {
        out.push(failedResult(ctx.job, op, err));
      }
    }
    return out;
  },
};
