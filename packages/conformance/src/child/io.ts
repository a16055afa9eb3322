import { writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { errorKind } from "../util/errors.js";

/**
 * A child's side of the JSON-lines protocol. Messages go out with a synchronous write, so an
 * `ack` is on the pipe before the next write begins: a parent that SIGKILLs the child never
 * misses an acknowledged commit, and a line cut short is never counted.
 */
export class ChildIo {
  private readonly queue: Array<Record<string, unknown>> = [];
  private readonly waiters: Array<(cmd: Record<string, unknown> | undefined) => void> = [];
  private ended = false;
  unhandledRejections = 0;

  constructor() {
    process.on("unhandledRejection", (reason) => {
      this.unhandledRejections++;
      this.emit({ t: "unhandled", kind: errorKind(reason) });
    });
    const rl = createInterface({ input: process.stdin });
    rl.on("line", (line) => {
      let cmd: Record<string, unknown>;
      try {
        cmd = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const w = this.waiters.shift();
      if (w !== undefined) w(cmd);
      else this.queue.push(cmd);
    });
    rl.on("close", () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    });
  }

  emit(msg: Record<string, unknown>): void {
    writeSync(1, `${JSON.stringify(msg)}\n`);
  }

  /** The next command from the parent; undefined once stdin is closed. */
  next(): Promise<Record<string, unknown> | undefined> {
    const cmd = this.queue.shift();
    if (cmd !== undefined) return Promise.resolve(cmd);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** True if a command is waiting (without consuming it). */
  pending(): boolean {
    return this.queue.length > 0 || this.ended;
  }

  /** Waits for a command of the given type (others before it are dropped). */
  async waitFor(type: string): Promise<Record<string, unknown>> {
    for (;;) {
      const cmd = await this.next();
      if (cmd === undefined) throw new Error(`stdin closed while waiting for "${type}"`);
      if (cmd.cmd === type) return cmd;
    }
  }
}
