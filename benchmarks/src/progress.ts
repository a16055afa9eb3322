/** Where the progress display writes; stderr by default. */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Draw on one updating line (a terminal). Default: whether the stream is a TTY. */
  tty?: boolean;
  /** On a non-terminal, print one plain line per finished scenario (default) or nothing. */
  plainLines?: boolean;
}

/**
 * The progress display: `[12/48] sqlite/strict · session-list · sessions=10000` on one
 * updating line on a terminal; at most one plain line per scenario elsewhere (CI logs).
 */
export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly plain: boolean;
  private started = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.plain = options.plainLines ?? true;
  }

  start(index: number, total: number, label: string): void {
    this.started = performance.now();
    if (this.tty) this.stream.write(`\r\x1b[2K[${index}/${total}] ${label} …`);
  }

  done(index: number, total: number, label: string, summary: string): void {
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    const line = `[${index}/${total}] ${label} — ${summary} (${secs} s)`;
    // On a terminal a finished line is overwritten by the next, except a failure, which stays.
    if (this.tty) this.stream.write(`\r\x1b[2K${line}${index === total || /failed/.test(summary) ? "\n" : ""}`);
    else if (this.plain) this.stream.write(`${line}\n`);
  }

  /** Leaves the updating line so later output starts on a fresh one. */
  finish(): void {
    if (this.tty) this.stream.write("\r\x1b[2K");
  }
}
