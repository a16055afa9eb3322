import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CHILD = fileURLToPath(new URL("./fixtures/child.mjs", import.meta.url));
export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

export { TORTURE } from "@statehouse/conformance/testing";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `statehouse-file-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export type Message = Record<string, unknown> & { t: string };

/** A child process speaking one JSON object per line on stdout. */
export class Child {
  readonly proc: ChildProcess;
  readonly messages: Message[] = [];
  stderr = "";
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  constructor(role: string, params: Record<string, unknown> = {}) {
    this.proc = spawn(process.execPath, [CHILD, role, JSON.stringify(params)], { cwd: PACKAGE_DIR, stdio: ["pipe", "pipe", "pipe"] });
    let buf = "";
    this.proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === "") continue;
        const m = JSON.parse(line) as Message;
        this.messages.push(m);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(m)) return true;
          w.resolve(m);
          return false;
        });
      }
    });
    this.proc.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString("utf8");
    });
    this.exit = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the next message of type `t` not yet consumed (or rejects after `timeoutMs`). */
  next(t: string, timeoutMs = 60_000): Promise<Message> {
    const idx = this.consumed.get(t) ?? 0;
    this.consumed.set(t, idx + 1);
    const seen = this.messages.filter((m) => m.t === t);
    if (seen.length > idx) return Promise.resolve(seen[idx]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for "${t}"; stderr: ${this.stderr.slice(-500)}; messages: ${JSON.stringify(this.messages).slice(-500)}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred: (m) => m.t === t && this.messages.filter((x) => x.t === t).length - 1 === idx,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
  private readonly consumed = new Map<string, number>();

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }
}

/** The pid of a process that has exited (and been reaped): a dead lock holder. */
export function deadPid(): number {
  const r = spawnSync("true");
  return r.pid!;
}

/** An owner record as a dead holder of the store lock would have left it. */
export function deadOwner(): string {
  let boot = "";
  let ns = "";
  try {
    boot = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    ns = readlinkSync("/proc/self/ns/pid");
  } catch {
    // not Linux: liveness falls back to kill(pid, 0)
  }
  return JSON.stringify({
    pid: deadPid(),
    start: "1",
    boot,
    host: hostname(),
    ns,
    token: "deadbeefdeadbeef",
    at: new Date().toISOString(),
  });
}

export function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
