import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** TESTPLAN sizes: `full` under STATEHOUSE_TORTURE=1, `quick` otherwise. */
export const FULL = process.env.STATEHOUSE_TORTURE === "1";
export const size = (quick: number, full: number): number => (FULL ? full : quick);

const CHILD = fileURLToPath(new URL("./fixtures/child.mjs", import.meta.url));

/** A fresh private temporary directory and its cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "statehouse-lmdb-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The last line of stdout parsed as JSON, when it is JSON. */
  json: unknown;
}

const running = new Set<ChildProcess>();

/** Kills whatever a failed test left running (afterEach). */
export function killChildren(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  running.clear();
}

/** Runs `node fixtures/child.mjs <mode> <json>` (optionally wrapped, e.g. by unshare) and collects its output. */
export function runChild(
  mode: string,
  args: Record<string, unknown>,
  options: { timeoutMs?: number; wrap?: string[]; onLine?: (line: string) => void } = {},
): { child: ChildProcess; done: Promise<ChildResult> } {
  const command = [...(options.wrap ?? []), process.execPath, CHILD, mode, JSON.stringify(args)];
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    partial += d;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const l of lines) options.onLine?.(l);
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
      const last = stdout.trim().split("\n").pop() ?? "";
      let json: unknown;
      try {
        json = JSON.parse(last);
      } catch {
        json = undefined;
      }
      resolveDone({ code, signal, stdout, stderr, timedOut, json });
    });
  });
  return { child, done };
}

/** Waits until the child prints `line` (or exits). */
export function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolveWait, reject) => {
    let buf = "";
    let err = "";
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      if (buf.split("\n").includes(line)) {
        child.stdout!.off("data", onData);
        resolveWait();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr?.on("data", (d: Buffer | string) => {
      err += d.toString();
    });
    child.once("close", (code, signal) =>
      reject(new Error(`child exited (${signal ?? code}) before printing ${line}; stdout: ${buf.slice(-300)}; stderr: ${err.slice(-500)}`)),
    );
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
