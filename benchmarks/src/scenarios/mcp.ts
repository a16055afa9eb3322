import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { fromSamples } from "../measure.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { locateCli } from "./cli.js";

const OPS = [
  { op: "mcp-state-get", tool: "state_get", args: { query: "/probe" } },
  { op: "mcp-state-increment", tool: "state_increment", args: { pointer: "/n" } },
] as const;

/** Calls timed per operation: the quick profile's 10 process runs give 100, the full profile's 30 give 300. */
const CALLS_PER_PROCESS_RUN = 10;
const WARM_UP = 20;

/**
 * One MCP tool call's round trip, as an agent pays it: the SDK's client, stdio, a running
 * `statehouse mcp` process (started once, not timed) and back. No process start-up per call.
 */
export const mcpScenario: Scenario = {
  name: "mcp",
  group: "cli",
  title: "MCP tool call round trip over stdio (statehouse mcp)",
  perAdapter: true,
  writes: true,
  ops: () => OPS.map((o) => o.op),
  async run(ctx): Promise<BenchResult[]> {
    const skipAll = (reason: string) => OPS.map((o) => failedResult(ctx.job, o.op, reason, "skipped"));
    const where = locateCli();
    if ("missing" in where) return skipAll(`CLI not available: ${where.missing}`);
    const durability = ctx.job.durability === undefined ? [] : ["--durability", ctx.job.durability];
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [where.bin, "--store", ctx.url, ...durability, "mcp"],
      cwd: ctx.dir,
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const client = new Client({ name: "statehouse-bench", version: "0" });
    try {
      await client.connect(transport);
    } catch (err) {
      return skipAll(`\`statehouse mcp\` did not start: ${(err as Error).message} ${stderr.split("\n")[0] ?? ""}`.trim());
    }
    try {
      const call = async (tool: string, args: Record<string, unknown>) => {
        const r = await client.callTool({ name: tool, arguments: args });
        if (r.isError === true) throw new Error((r.content as { text: string }[])[0]?.text ?? "tool error");
      };
      await call("state_set", { pointer: "/probe", value: { phase: "bench", tasks: [1, 2, 3] } });
      const out: BenchResult[] = [];
      const calls = ctx.job.settings.processRuns * CALLS_PER_PROCESS_RUN;
      for (const o of OPS) {
        try {
          for (let i = 0; i < WARM_UP; i++) await call(o.tool, o.args);
          const samples: number[] = [];
          for (let i = 0; i < calls; i++) {
            const t0 = process.hrtime.bigint();
            await call(o.tool, o.args);
            samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          out.push(okResult(ctx.job, o.op, fromSamples(samples)));
        } catch (err) {
          out.push(failedResult(ctx.job, o.op, `${o.tool} failed: ${(err as Error).message}`));
        }
      }
      return out;
    } finally {
      await client.close();
    }
  },
};
