import { spawnSync } from "node:child_process";
import { IoError } from "@statehouse/core";

export interface ProcessRun {
  readonly ms: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion and times it as a whole process, as a shell hook would. */
export function timeProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ProcessRun {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8", timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error !== undefined) throw new IoError(`could not run ${command}: ${r.error.message}`, { cause: r.error });
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}
