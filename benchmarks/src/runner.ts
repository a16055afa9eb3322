import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findAdapter } from "./adapters.js";
import type { ChildOutput } from "./child.js";
import { type Job, failedResult } from "./scenario.js";
import { findScenario } from "./scenarios/index.js";
import type { BenchResult } from "./types.js";

const CHILD = fileURLToPath(new URL("./child.js", import.meta.url));

/** The line of a child's stderr that says what went wrong (Node prints the error before the stack). */
export function childError(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("Node.js v") && !l.startsWith("at "));
  const err = lines.find((l) => /^(\w*Error|\w+Error \[\w+\]|E_[A-Z_]+)\b/.test(l));
  return (err ?? lines.slice(-3).join(" ")).slice(0, 500);
}

/** Where a job's child runs. */
export interface RunJobOptions {
  /** Directory under which each child gets a fresh store directory (removed afterwards). */
  storeRoot: string;
  /**
   * The child script to run the job with. Default: this tree's `child.js`. The gate points it at
   * another checkout's built `benchmarks/dist/child.js`, which resolves that checkout's packages.
   */
  childScript?: string;
  /** The child's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one job in its own child process. Whatever happens to the child (an adapter that cannot
 * open, a crash, a hang past the timeout), the job yields one result per operation: failed with
 * the reason, so one broken adapter never stops the run.
 */
export async function runJob(job: Job, options: RunJobOptions): Promise<BenchResult[]> {
  const scenario = findScenario(job.scenario);
  const fail = (reason: string) => (scenario?.ops(job.params) ?? [job.scenario]).map((op) => failedResult(job, op, reason));
  await mkdir(options.storeRoot, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(join(options.storeRoot, "statehouse-bench-"));
  const dir = join(work, "store");
  await mkdir(dir, { mode: 0o700 });
  const outFile = join(work, "result.json");
  try {
    const { code, signal, stderr, timedOut } = await new Promise<{
      code: number | null;
      signal: string | null;
      stderr: string;
      timedOut: boolean;
    }>((resolve) => {
      // Its own process group, so a timeout also kills the scenario's own workers.
      const child = spawn(process.execPath, [options.childScript ?? CHILD, JSON.stringify(job), dir, outFile], {
        stdio: ["ignore", "ignore", "pipe"],
        env: options.env ?? process.env,
        detached: true,
      });
      let stderr = "";
      let timedOut = false;
      child.stderr.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }, job.settings.childTimeoutMs);
      child.on("error", (err) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, stderr: err.message, timedOut });
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stderr, timedOut });
      });
    });
    if (timedOut) return fail(`timed out after ${job.settings.childTimeoutMs} ms and was killed`);
    if (code !== 0) return fail(`child exited with ${code ?? signal}: ${childError(stderr)}`);
    const out = JSON.parse(await readFile(outFile, "utf8")) as ChildOutput;
    return out.results;
  } catch (err) {
    return fail(`could not read the child's result: ${(err as Error).message}`);
  } finally {
    // A store outside `dir` (a server's schema) goes with it; a failure to drop it costs no result.
    await findAdapter(job.adapter ?? "")
      ?.dispose?.(dir)
      .catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
