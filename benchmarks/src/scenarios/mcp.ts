import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type BenchServer, startBenchDaemon } from "../daemon-process.js";
import { fromSamples } from "../measure.js";
import { type Scenario, type ScenarioContext, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { type Fetch as UnixFetch, unixFetch } from "@statehouse/conformance/testing";
import { locateCli } from "./cli.js";
import { CALLS_PER_PROCESS_RUN, HTTP_UNIX_FLOOR_KEY, STDIO_ECHO_FLOOR_KEY, WARM_UP } from "./mcp-floor.js";

const CALLS = [
  { name: "state-get", tool: "state_get", args: { query: "/probe" } },
  { name: "state-increment", tool: "state_increment", args: { pointer: "/n" } },
] as const;

/** The two ways an agent reaches the MCP server; the stdio rows keep their first names, so the history stays comparable. */
const TRANSPORTS = [
  { name: "stdio", prefix: "mcp-", floor: STDIO_ECHO_FLOOR_KEY },
  { name: "http", prefix: "mcp-http-", floor: HTTP_UNIX_FLOOR_KEY },
] as const;
type Transport = (typeof TRANSPORTS)[number];

const opsOf = (t: Transport) => CALLS.map((c) => `${t.prefix}${c.name}`);

/** Times each call on a connected client; one result row per call. */
async function timeCalls(ctx: ScenarioContext, t: Transport, client: Client, note: string): Promise<BenchResult[]> {
  const call = async (tool: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name: tool, arguments: args });
    if (r.isError === true) throw new Error((r.content as { text: string }[])[0]?.text ?? "tool error");
  };
  await call("state_set", { pointer: "/probe", value: { phase: "bench", tasks: [1, 2, 3] } });
  const out: BenchResult[] = [];
  const calls = ctx.job.settings.processRuns * CALLS_PER_PROCESS_RUN;
  for (const c of CALLS) {
    const op = `${t.prefix}${c.name}`;
    try {
      for (let i = 0; i < WARM_UP; i++) await call(c.tool, c.args);
      const samples: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t0 = process.hrtime.bigint();
        await call(c.tool, c.args);
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      out.push(okResult(ctx.job, op, fromSamples(samples), { floor: t.floor, note }));
    } catch (err) {
      out.push(failedResult(ctx.job, op, `${c.tool} failed: ${(err as Error).message}`));
    }
  }
  return out;
}

/** Over stdio: the SDK's client and a running `statehouse mcp` process (started once, not timed). */
async function overStdio(ctx: ScenarioContext, bin: string): Promise<BenchResult[]> {
  const t = TRANSPORTS[0];
  const durability = ctx.job.durability === undefined ? [] : ["--durability", ctx.job.durability];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "--store", ctx.url, ...durability, "mcp"],
    cwd: ctx.dir,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const client = new Client({ name: "statehouse-bench", version: "0" });
  try {
    await client.connect(transport);
  } catch (err) {
    const why = `\`statehouse mcp\` did not start: ${(err as Error).message} ${stderr.split("\n")[0] ?? ""}`.trim();
    return opsOf(t).map((op) => failedResult(ctx.job, op, why, "skipped"));
  }
  try {
    return await timeCalls(ctx, t, client, "stdio to `statehouse mcp`");
  } finally {
    await client.close();
  }
}

/**
 * Over the daemon's streamable HTTP transport: `statehouse serve` on a unix socket (started once,
 * not timed), the SDK's client POSTing to `/mcp` on one keep-alive connection.
 */
async function overHttp(ctx: ScenarioContext, bin: string): Promise<BenchResult[]> {
  const t = TRANSPORTS[1];
  let daemon: BenchServer | undefined;
  let fetch: UnixFetch | undefined;
  let client: Client | undefined;
  try {
    daemon = await startBenchDaemon(bin, ctx.url, join(ctx.dir, "d.sock"), ctx.job.durability);
    fetch = unixFetch(daemon.socket, { keepAlive: true });
    const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), { fetch });
    client = new Client({ name: "statehouse-bench", version: "0" });
    await client.connect(transport);
    return await timeCalls(ctx, t, client, "streamable HTTP to `statehouse serve` at /mcp, unix socket");
  } catch (err) {
    return opsOf(t).map((op) => failedResult(ctx.job, op, err));
  } finally {
    await client?.close().catch(() => {});
    fetch?.close();
    await daemon?.stop();
  }
}

/**
 * One MCP tool call's round trip, as an agent pays it: the SDK's client to a running server and
 * back, over stdio (`statehouse mcp`) and over the daemon's streamable HTTP transport (`/mcp`).
 * No process start-up per call. Each row's floor is the same message over the same transport to
 * a trivial peer (the mcp-floor scenario).
 */
export const mcpScenario: Scenario = {
  name: "mcp",
  group: "cli",
  title: "MCP tool call round trip over stdio (statehouse mcp) and the daemon's streamable HTTP (/mcp)",
  perAdapter: true,
  writes: true,
  floors: ["mcp-floor"],
  ops: () => TRANSPORTS.flatMap(opsOf),
  async run(ctx): Promise<BenchResult[]> {
    const where = locateCli();
    if ("missing" in where)
      return TRANSPORTS.flatMap(opsOf).map((op) => failedResult(ctx.job, op, `CLI not available: ${where.missing}`, "skipped"));
    return [...(await overStdio(ctx, where.bin)), ...(await overHttp(ctx, where.bin))];
  },
};
