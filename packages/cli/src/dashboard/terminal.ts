/**
 * The dashboard's terminal: the alternate screen, a hidden cursor and raw keys while it runs, and
 * all of it restored on every way out (q, Ctrl-C, SIGINT, SIGTERM, SIGHUP, a crash).
 */
export class Screen {
  private active = false;
  private readonly onExit = () => this.leave();

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stdin: NodeJS.ReadStream = process.stdin,
  ) {}

  get width(): number {
    return this.stdout.columns ?? 100;
  }

  get height(): number {
    return this.stdout.rows ?? 40;
  }

  /** Enters the alternate screen; `onKey` gets each key press (raw mode, when stdin is a terminal). */
  enter(onKey: (key: string) => void): void {
    this.active = true;
    this.stdout.write("\x1b[?1049h\x1b[?25l\x1b[2J");
    process.on("exit", this.onExit);
    if (this.stdin.isTTY) {
      this.stdin.setRawMode(true);
      this.stdin.setEncoding("utf8");
      this.stdin.on("data", (k: string) => onKey(k));
      this.stdin.resume();
    }
  }

  /** Draws a frame over the previous one, clearing what it leaves behind. */
  draw(lines: readonly string[]): void {
    if (!this.active) return;
    this.stdout.write(`\x1b[H${lines.map((l) => `${l}\x1b[0m\x1b[K`).join("\r\n")}\x1b[J`);
  }

  /** Restores the terminal; safe to call more than once. */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    process.off("exit", this.onExit);
    if (this.stdin.isTTY) {
      this.stdin.setRawMode(false);
      this.stdin.pause();
    }
    this.stdout.write("\x1b[?25h\x1b[?1049l");
  }
}
