import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fromSamples } from "../measure.js";
import { timeProcess } from "../process-timing.js";
import { PROCESS_FLOOR_KEY, type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

/** The commands timed whole process (the daemon scenario times the same ones forwarded to a daemon). */
export const CLI_COMMANDS = [
  { op: "cli-state-get", args: ["state", "get", "/probe"] },
  { op: "cli-state-set", args: ["state", "set", "/probe", "2"] },
  { op: "cli-session-create", args: ["session", "create"] },
  { op: "cli-session-list", args: ["session", "list"] },
  { op: "cli-config-get", args: ["config", "get", "web"] },
] as const;

/** The CLI's entry script, or why it cannot be run yet. */
export function locateCli(): { bin: string } | { missing: string } {
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve("@statehouse/cli/package.json"));
  } catch {
    return { missing: "the @statehouse/cli package is not installed" };
  }
  const bin = join(pkgDir, "bin", "statehouse.js");
  if (!existsSync(bin)) return { missing: `${bin} does not exist yet` };
  if (!existsSync(join(pkgDir, "dist", "bin.js"))) return { missing: "the CLI is not built (packages/cli/dist/bin.js is missing)" };
  return { bin };
}

function firstLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .find((l) => l.trim() !== "") ?? ""
  );
}

/**
 * Whole-process timings of the CLI, as a hook pays them: Node's start-up, loading the one
 * adapter the URL names, opening the store, the command, exit. Compared with `node -e 0`.
 */
export const cliScenario: Scenario = {
  name: "cli",
  group: "cli",
  title: "CLI whole-process timings",
  perAdapter: true,
  writes: false,
  ops: () => CLI_COMMANDS.map((c) => c.op),
  async run(ctx): Promise<BenchResult[]> {
    const commands = CLI_COMMANDS.filter((c) => ctx.job.only === undefined || ctx.job.only.includes(c.op));
    const skipAll = (reason: string) => commands.map((c) => failedResult(ctx.job, c.op, reason, "skipped"));
    if (ctx.adapter?.name === "memory") return skipAll("a memory: store does not outlive the CLI process, so there is nothing to time");
    const where = locateCli();
    if ("missing" in where) return skipAll(`CLI not available: ${where.missing}`);
    const cli = (args: readonly string[]) =>
      timeProcess(process.execPath, [where.bin, "--store", ctx.url, "--json", ...args], { cwd: ctx.dir });
    // Probe before timing: a CLI that is still being written is skipped with its own error.
    const probe = cli(["state", "set", "/probe", "1"]);
    if (probe.status !== 0)
      return skipAll(`CLI probe \`state set /probe 1\` exited ${probe.status}: ${firstLine(probe.stderr || probe.stdout)}`);
    // The project config `config get` reads, as the v2 peer's row reads its own.
    cli(["config", "set", "web", '{"name":"web","maxConcurrentAgents":4}']);
    const out: BenchResult[] = [];
    for (const c of commands) {
      const first = cli(c.args);
      if (first.status !== 0) {
        out.push(
          failedResult(
            ctx.job,
            c.op,
            `\`statehouse ${c.args.join(" ")}\` exited ${first.status}: ${firstLine(first.stderr || first.stdout)}`,
            "skipped",
          ),
        );
        continue;
      }
      const samples: number[] = [];
      let failure: string | undefined;
      for (let i = 0; i < ctx.job.settings.processRuns && failure === undefined; i++) {
        const r = cli(c.args);
        if (r.status !== 0) failure = `run ${i} exited ${r.status}: ${firstLine(r.stderr)}`;
        samples.push(r.ms);
      }
      out.push(
        failure === undefined
          ? okResult(ctx.job, c.op, fromSamples(samples), { floor: PROCESS_FLOOR_KEY })
          : failedResult(ctx.job, c.op, failure),
      );
    }
    return out;
  },
};
