import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningChild, runChild, tempDir } from "@statehouse/conformance/testing";
import { afterEach } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGES = join(here, "..", "..");
/** The real `statehouse` binary: the daemon runs exactly as users start it. */
export const BIN = join(PACKAGES, "cli", "bin", "statehouse.js");
export { TORTURE } from "@statehouse/conformance/testing";

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A scratch directory with a private runtime dir (0700) for the daemon's files. */
export function scratch(name = "daemon"): { dir: string; runtime: string; env: Record<string, string>; cleanup: () => void } {
  // The kit's cleanup retries: a daemon killed a moment ago may still be letting go of its files.
  const { dir, cleanup } = tempDir(name);
  const runtime = join(dir, "rt");
  mkdirSync(runtime, { mode: 0o700 });
  // A private XDG_RUNTIME_DIR per test: daemons of parallel tests never meet.
  return { dir, runtime, env: { XDG_RUNTIME_DIR: runtime }, cleanup };
}

function baseEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  // Keys left undefined are not passed to the child.
  return { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, STATEHOUSE_STORE: undefined, STATEHOUSE_SOCKET: undefined, ...env };
}

/** Runs the CLI to completion. `umask` runs it under that umask (through sh). */
export async function cli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string; umask?: string } = {},
): Promise<Result> {
  const r = await runCli(args, { ...options, input: options.input ?? "" }).done;
  return { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI with the test kit's runChild: stdin a pipe closed after `input`. */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string; umask?: string } = {},
): RunningChild {
  const env = baseEnv(options.env ?? {});
  const wrap = options.umask === undefined ? [] : ["sh", "-c", `umask ${options.umask} && exec "$0" "$@"`];
  return runChild(BIN, args, { env, wrap, input: options.input ?? "" });
}

export interface Daemon {
  child: ChildProcess;
  /** The `--json` line serve printed: socket, pid, store, discovery. */
  info: { socket: string; pid: number; store: string; tcp: string | null; discovery: string };
  stderr: () => string;
  /** Resolves with the exit of the daemon process. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `statehouse --json --store URL serve ARGS` and waits for its start line (or its failure). */
export function startDaemon(
  storeUrl: string,
  args: readonly string[] = [],
  options: { env?: Record<string, string | undefined>; umask?: string } = {},
): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const { child, done } = runCli(["--json", "--store", storeUrl, "serve", ...args], options);
    let stdout = "";
    let stderr = "";
    const exited = done.then(({ code, signal }) => ({ code, signal }));
    child.stderr!.on("data", (d: string) => (stderr += d));
    child.stdout!.on("data", (d: string) => {
      stdout += d;
      const nl = stdout.indexOf("\n");
      if (nl >= 0) {
        try {
          resolve({ child, info: JSON.parse(stdout.slice(0, nl)), stderr: () => stderr, exited });
        } catch (err) {
          reject(err);
        }
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`serve exited (${code ?? signal}) before serving: ${stderr}`)));
  });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over a unix socket or to 127.0.0.1:port. */
export function http(
  target: { socket: string } | { port: number; host?: string },
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...(body === undefined ? {} : { "content-type": "application/json" }), ...options.headers };
    const where = "socket" in target ? { socketPath: target.socket } : { host: target.host ?? "127.0.0.1", port: target.port };
    const req = request({ ...where, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, "utf8"));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Per-test clean-up for a test file: `scratch` directories and daemons made through it (and
 * whatever else is pushed on `cleanups`) are removed or killed after each test, daemons first.
 */
export function perTest(name?: string) {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  return {
    cleanups,
    setup() {
      const s = scratch(name);
      cleanups.push(s.cleanup);
      return s;
    },
    async daemon(store: string, env: Record<string, string>): Promise<Daemon> {
      const d = await startDaemon(store, ["--log-level", "debug"], { env });
      cleanups.unshift(() => {
        if (alive(d.info.pid)) process.kill(d.info.pid, "SIGKILL");
      });
      return d;
    },
  };
}
