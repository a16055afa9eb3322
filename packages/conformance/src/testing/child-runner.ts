import { type ChildProcess, spawn } from "node:child_process";

// The child runner of adapter and front-end tests: a real `node script …` process, its output
// collected, killable by a timeout, and killed by `killChildren()` if a failed test left it running.

/** Options of `runChild`. */
export interface RunChildOptions {
  /** SIGKILL the child after this many milliseconds (`timedOut` is then true). Default: no limit. */
  timeoutMs?: number;
  /** A command placed before `node script …`, e.g. `setpriv …` or `inTmpfs(dir, "2m")`. Default: none. */
  wrap?: readonly string[];
  /** Called with each complete line of stdout as it arrives. Default: none. */
  onLine?: (line: string) => void;
  /** The child's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** How a child ended and what it printed. */
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

/** Kills whatever a failed test left running; call from afterEach. */
export function killChildren(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  running.clear();
}

function lastJsonLine(stdout: string): unknown {
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last);
  } catch {
    return undefined;
  }
}

/** Runs `node script ...args` (optionally wrapped) and collects its output. */
export function runChild(
  script: string,
  args: readonly string[],
  options: RunChildOptions = {},
): { child: ChildProcess; done: Promise<ChildResult> } {
  const command = [...(options.wrap ?? []), process.execPath, script, ...args];
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
      resolveDone({ code, signal, stdout, stderr, timedOut, json: lastJsonLine(stdout) });
    });
  });
  return { child, done };
}

/** Waits until the child prints `line` (or rejects when it exits first). */
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
