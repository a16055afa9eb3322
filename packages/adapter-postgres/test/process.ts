import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** TESTPLAN sizes: `full` under STATEHOUSE_TORTURE=1, `quick` otherwise. */
export const FULL = process.env.STATEHOUSE_TORTURE === "1";
export function size(quick: number, full: number): number {
  return FULL ? full : quick;
}

export const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));

/** A fresh temporary directory, 0700 (mkdtemp), removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "statehouse-pg-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const running = new Set<ChildProcess>();

/** Kills what a failed test left running; call from afterEach. */
export function killChildren(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  running.clear();
}

/** Runs `node fixtures/<script> ...args` (optionally wrapped, e.g. by setpriv) and collects its output. */
export function runChild(
  script: string,
  args: string[],
  options: { timeoutMs?: number; wrap?: string[]; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; done: Promise<ChildResult> } {
  const command = [...(options.wrap ?? []), process.execPath, join(FIXTURES, script), ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
  running.add(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (options.onLine !== undefined) {
      partial += d;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const l of lines) options.onLine(l);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs);
  const done = new Promise<ChildResult>((resolveDone) => {
    child.on("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      running.delete(child);
      resolveDone({ code, signal, stdout, stderr, timedOut });
    });
  });
  return { child, done };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
