import type { Store } from "@statehouse/core";
import type { CliRequest, CliResponse } from "@statehouse/server/daemon";
import { ForwardRefused, runForwarded } from "./io/forwarded.js";
import type { RunOptions } from "./run-options.js";

/**
 * The command groups the daemon runs for the thin client: the domain operations, which need
 * nothing of the client's process but its arguments. `lease` and `alerts` are here too: the
 * daemon holds an in-process store, which has them.
 */
export const DAEMON_COMMANDS: ReadonlySet<string> = new Set(["state", "session", "agent", "config", "tools", "batch", "lease", "alerts"]);

/**
 * A command's output is held until it ends (a refusal must leave nothing printed); more than this
 * is refused and the client runs the command itself. Only a read prints this much: a write prints
 * at most one record, and records are limited to 16 MiB, so no write is ever refused after it applied.
 */
const MAX_OUTPUT_CHARS = 32 * 1024 * 1024;

/** Collects what a command prints, as the stream a terminal or a pipe would be. */
class Capture {
  private readonly parts: string[] = [];
  private chars = 0;
  constructor(readonly isTTY: boolean) {}
  write(chunk: string | Uint8Array): boolean {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    this.chars += text.length;
    if (this.chars > MAX_OUTPUT_CHARS) throw new ForwardRefused("output too large to hold");
    this.parts.push(text);
    return true;
  }
  once(): this {
    return this;
  }
  text(): string {
    return this.parts.join("");
  }
}

/** What `forwardRunner` runs a command line with: main.ts's `run`, passed in (main imports this file). */
export type RunCommand = (argv: readonly string[], options: RunOptions) => Promise<number>;

export interface ForwardRunnerOptions {
  /** The daemon's store; commands run against it. */
  store: Store;
  /** The CLI's version: a thin client of another version runs its command itself. */
  version: string;
  /** Whether a store URL (resolved against a working directory) is the daemon's store. */
  serves(storeUrl: string, cwd: string): boolean;
}

/**
 * Runs one command line for the thin client (thin.ts) against the daemon's store, with the
 * client's working directory, colour settings and terminals. A command that would need the
 * client's process (stdin, a file), names another store, or is not a domain operation comes back
 * as `fallback`, with nothing run: the client then runs the full CLI.
 */
export function forwardRunner(run: RunCommand, options: ForwardRunnerOptions): (request: CliRequest) => Promise<CliResponse> {
  return async (request) => {
    if (request.version !== options.version) return { fallback: `the daemon runs version ${options.version}` };
    const stdout = new Capture(request.stdoutTty);
    const stderr = new Capture(request.stderrTty);
    try {
      const status = await runForwarded(() =>
        run(request.argv, {
          stdout: stdout as unknown as NodeJS.WriteStream,
          stderr: stderr as unknown as NodeJS.WriteStream,
          env: { ...request.env },
          cwd: request.cwd,
          daemonStore: { store: options.store, serves: options.serves, commands: DAEMON_COMMANDS },
        }),
      );
      return { status, stdout: stdout.text(), stderr: stderr.text() };
    } catch (err) {
      if (err instanceof ForwardRefused) return { fallback: err.reason };
      throw err;
    }
  };
}
