import { type ChildProcess, spawn } from "node:child_process";

// The child runner of adapter and front-end tests: a real `node script …` process, its output
// collected, killable by a timeout, and killed by `killChildren()` if a failed test left it running.

/** Options of `runChild`. */
export interface RunChildOptions {
  /** SIGKILL the child after this many milliseconds (`timedOut` is then true). Default: no limit. */
  timeoutMs?: number;
  /** A command placed before `node script …`, e.g. `setpriv …` or `inTmpfs(dir, "2m")`. Default: none. */
  wrap?: readonly string[];
  /** Node's own options, placed before the script, e.g. `["--import", hook]`. Default: none. */
  nodeArgs?: readonly string[];
  /** Called with each complete line of stdout as it arrives. Default: none. */
  onLine?: (line: string) => void;
  /** The child's environment (keys whose value is undefined are left out). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. Default: this process's. */
  cwd?: string;
  /**
   * Written to the child's stdin, which is then closed. Default: none, and stdin is /dev/null
   * (give "" for an empty pipe instead: a program can tell the two apart).
   */
  input?: string;
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

/** Adds a child to those `killChildren()` kills (the kit's other child handles use it too). */
export function track(child: ChildProcess): void {
  running.add(child);
  child.once("close", () => running.delete(child));
}

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

/** A child the kit started: the process, and its end with everything it printed. */
export interface RunningChild {
  child: ChildProcess;
  done: Promise<ChildResult>;
}

/** Runs `node script ...args` (optionally wrapped) and collects its output. */
export function runChild(script: string, args: readonly string[], options: RunChildOptions = {}): RunningChild {
  return runNode([script, ...args], options);
}

/**
 * Runs an ES module given as text, `node --input-type=module -e code ...args`: for a few lines
 * that must resolve packages from `options.cwd` (a test's own package) rather than from a file in
 * a temporary directory.
 */
export function evalChild(code: string, args: readonly string[] = [], options: RunChildOptions = {}): RunningChild {
  return runNode(["--input-type=module", "-e", code, ...args], options);
}

function runNode(argv: readonly string[], options: RunChildOptions): RunningChild {
  const command = [...(options.wrap ?? []), process.execPath, ...(options.nodeArgs ?? []), ...argv];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: options.env ?? process.env,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  track(child);
  if (options.input !== undefined) {
    // A child that exits before reading its input must not fail the test with EPIPE.
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(options.input);
  }
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
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      running.delete(child);
      resolveDone({ code, signal, stdout, stderr, timedOut, json: lastJsonLine(stdout) });
    };
    // A wrapper that cannot be started (no `setpriv` here) ends the child with code -1 and says why.
    child.on("error", (err) => {
      stderr += `spawn failed: ${err.message}\n`;
      settle(-1, null);
    });
    child.on("close", settle);
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
