import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type ChildJob, type ChildMessage, JOB_ENV } from "./job.js";

/** The child script shipped beside this module in the package's dist. */
export const CHILD_SCRIPT = fileURLToPath(new URL("./child.js", import.meta.url));

export interface SpawnChildOptions {
  /**
   * A command placed before `node child.js`, e.g. `["setpriv", "--reuid=65534", …]`. When it
   * contains the string `{node}` / `{script}`, those are replaced instead of appended (for
   * `sh -c` wrappers). Default: none.
   */
  prefix?: readonly string[];
  /** Default: the test's `process.cwd()`, so the adapter package resolves from the application. */
  cwd?: string;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A real child process speaking JSON lines: it prints messages, it reads commands. Messages of a
 * type are consumed in order by `next(type)`, so a parent can wait for the 5th ack without
 * racing the child.
 */
export class ChildHandle {
  readonly proc: ChildProcess;
  readonly exit: Promise<ChildExit>;
  readonly messages: ChildMessage[] = [];
  stderr = "";
  exited: ChildExit | undefined;
  private stdoutBuffer = "";
  private readonly consumed = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly job: ChildJob,
    options: SpawnChildOptions = {},
  ) {
    const env = { ...process.env, [JOB_ENV]: JSON.stringify(job) };
    const base = [process.execPath, CHILD_SCRIPT];
    let argv: string[];
    const prefix = options.prefix ?? [];
    if (prefix.includes("{node}")) {
      argv = prefix.map((a) => (a === "{node}" ? process.execPath : a === "{script}" ? CHILD_SCRIPT : a));
    } else {
      argv = [...prefix, ...base];
    }
    this.proc = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.proc.stdout!.setEncoding("utf8");
    this.proc.stderr!.setEncoding("utf8");
    this.proc.stdout!.on("data", (chunk: string) => this.onStdout(chunk));
    this.proc.stderr!.on("data", (chunk: string) => {
      // Keep the tail only: a crashing child's last words are what matter.
      this.stderr = (this.stderr + chunk).slice(-8_000);
    });
    // A child killed while the parent writes to it must not crash the parent with EPIPE.
    this.proc.stdin!.on("error", () => undefined);
    this.exit = new Promise<ChildExit>((resolve) => {
      this.proc.on("error", (err) => {
        this.stderr += `\nspawn failed: ${err.message}`;
        this.exited = { code: -1, signal: null };
        this.notify();
        resolve(this.exited);
      });
      this.proc.on("close", (code, signal) => {
        this.exited = { code, signal };
        this.notify();
        resolve(this.exited);
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let nl = this.stdoutBuffer.indexOf("\n");
    while (nl >= 0) {
      const line = this.stdoutBuffer.slice(0, nl);
      this.stdoutBuffer = this.stdoutBuffer.slice(nl + 1);
      // A line cut short by SIGKILL never gets its newline, so it is never counted.
      if (line.startsWith("{")) {
        try {
          const msg = JSON.parse(line) as ChildMessage;
          if (typeof msg.t === "string") this.messages.push(msg);
        } catch {
          // not one of ours (an adapter's own output): ignored
        }
      }
      nl = this.stdoutBuffer.indexOf("\n");
    }
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Messages of one type received so far. */
  all(type: string): ChildMessage[] {
    return this.messages.filter((m) => m.t === type);
  }

  /** The next unconsumed message of `type`; rejects if the child exits first or on timeout. */
  next(type: string, timeoutMs = 60_000): Promise<ChildMessage> {
    return new Promise<ChildMessage>((resolve, reject) => {
      const check = (): boolean => {
        const start = this.consumed.get(type) ?? 0;
        let seen = 0;
        for (const m of this.messages) {
          if (m.t !== type) continue;
          if (seen++ < start) continue;
          this.consumed.set(type, start + 1);
          done();
          resolve(m);
          return true;
        }
        const fatal = this.messages.find((m) => m.t === "fatal");
        if (fatal !== undefined || this.exited !== undefined) {
          done();
          reject(new Error(`child ${this.job.role} ${this.describeEnd(fatal)} before sending "${type}"`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`child ${this.job.role} sent no "${type}" within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      const listener = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  private describeEnd(fatal: ChildMessage | undefined): string {
    if (fatal !== undefined) return `failed (${String(fatal.kind)}: ${String(fatal.message)})`;
    return `exited (code ${this.exited?.code}, signal ${this.exited?.signal}; stderr: ${this.stderr.trim()})`;
  }

  /** Sends one JSON command line. Ignored once the child has gone. */
  send(command: Record<string, unknown>): void {
    if (this.exited !== undefined || this.proc.stdin!.destroyed) return;
    this.proc.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.exited === undefined) {
      try {
        this.proc.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** Waits for the child's `result` message and its exit; rejects on a failure or a non-zero exit. */
  async result(timeoutMs = 600_000): Promise<ChildMessage> {
    const result = await this.next("result", timeoutMs);
    const exit = await this.exit;
    if (exit.code !== 0)
      throw new Error(`child ${this.job.role} exited with ${exit.code ?? exit.signal} after its result; stderr: ${this.stderr}`);
    return result;
  }
}
