import { type ChildProcess, spawn } from "node:child_process";
import { track } from "./child-runner.js";

// The long-lived child of multi-process tests: a real process that prints one JSON object per line
// (`{"t": "ack", …}`) and reads commands on stdin, so a parent can wait for the 5th ack of a writer
// before killing it. The conformance suite's harness and the adapters' own tests both build on it.

/** One line a child prints: a JSON object whose `t` says what it is. */
export interface ChildMessage {
  readonly t: string;
  readonly [key: string]: unknown;
}

/** How a child ended. `code` is -1 when it could not be started at all. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of `JsonLinesChild`. */
export interface JsonLinesChildOptions {
  /** The child's working directory. Default: this process's. */
  cwd?: string;
  /** The child's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The name errors give the child (e.g. its role). Default: the script's argument, argv[1]. */
  label?: string;
}

/**
 * A real child process speaking JSON lines. Messages of a type are consumed in order by
 * `next(type)`; a `{"t":"fatal"}` message or the child's exit makes a pending `next` reject at
 * once, with the child's last words, instead of waiting out the timeout. Lines that are not JSON
 * objects with a string `t` (an engine's own output) are ignored.
 */
export class JsonLinesChild {
  readonly proc: ChildProcess;
  /** Resolves when the child has exited and its output is closed. */
  readonly exit: Promise<ChildExit>;
  readonly messages: ChildMessage[] = [];
  /** The tail of the child's stderr (its last 8,000 characters). */
  stderr = "";
  exited: ChildExit | undefined;
  readonly label: string;
  private stdoutBuffer = "";
  private readonly consumed = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(argv: readonly string[], options: JsonLinesChildOptions = {}) {
    this.label = options.label ?? argv[1] ?? argv[0] ?? "child";
    this.proc = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    track(this.proc);
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

  /** The next unconsumed message of `type`; rejects if the child fails or exits first, or on timeout. */
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
          reject(new Error(`child ${this.label} ${this.describeEnd(fatal)} before sending "${type}"`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`child ${this.label} sent no "${type}" within ${timeoutMs} ms; stderr: ${this.stderr}`));
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
    if (fatal !== undefined) return `failed (${String(fatal.kind ?? fatal.code)}: ${String(fatal.message)})`;
    return `exited (code ${this.exited?.code}, signal ${this.exited?.signal}; stderr: ${this.stderr.trim()})`;
  }

  /** Sends one line: a string as it is, anything else as JSON. Ignored once the child has gone. */
  send(command: string | Record<string, unknown>): void {
    if (this.exited !== undefined || this.proc.stdin!.destroyed) return;
    this.proc.stdin!.write(`${typeof command === "string" ? command : JSON.stringify(command)}\n`);
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
}
