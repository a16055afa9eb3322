import { closeSync, fchmodSync, openSync, writeSync } from "node:fs";

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/**
 * The daemon's log: one JSON object per line (`time`, `level`, `msg`, then fields), appended to a
 * 0600 file. Written synchronously, so the lines of a daemon killed with -9 are all there.
 */
export class DaemonLogger {
  private fd: number | undefined;
  private readonly min: number;

  /** `path` undefined: log nowhere. `level`: the least severe level written (default info). */
  constructor(path: string | undefined, level: LogLevel = "info") {
    this.min = RANK[level];
    if (path !== undefined) {
      this.fd = openSync(path, "a", 0o600);
      // An existing file keeps its mode on open: make sure it is private too.
      fchmodSync(this.fd, 0o600);
    }
  }

  enabled(level: LogLevel): boolean {
    return this.fd !== undefined && RANK[level] >= this.min;
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
    try {
      writeSync(this.fd!, line);
    } catch {
      // A full disk must not take the daemon down with it: the log is best effort.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
