import { execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import type { Environment } from "./types.js";

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** The machine and checkout a run measured, stored with every result. */
export function captureEnvironment(repoDir: string, storeDir: string): Environment {
  const c = cpus();
  const status = git(["status", "--porcelain", "--untracked-files=no"], repoDir);
  return {
    cpu: c[0]?.model.trim() ?? "unknown",
    cores: c.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    commit: process.env.GITHUB_SHA?.slice(0, 12) ?? git(["rev-parse", "--short=12", "HEAD"], repoDir) ?? "unknown",
    dirty: status !== undefined && status !== "",
    storeDir,
  };
}
