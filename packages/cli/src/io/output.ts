import { type Colors, colorEnabled, makeColors } from "./color.js";
import { terminalJson, terminalText } from "./terminal-text.js";

/** `human`: tables and sentences (the default); `json`: one JSON document; `plain`: one value per line. */
export type OutputMode = "human" | "json" | "plain";

/**
 * Text the CLI composed itself from parts it already made safe (a colour around a known status, a
 * `--plain` field line with its tab): printed as is. Every other string is stored text and is
 * made terminal-safe where it is printed.
 */
export class Styled {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function styled(text: string): Styled {
  return new Styled(text);
}

export type Cell = string | number | boolean | null | undefined | Styled;

/** Where a command prints. Everything goes through here so the mode and colour rules hold everywhere. */
export class Output {
  readonly colors: Colors;
  readonly errColors: Colors;

  constructor(
    readonly mode: OutputMode,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.colors = makeColors(colorEnabled(stdout, env));
    this.errColors = makeColors(colorEnabled(stderr, env));
  }

  /** Writes text plus a newline to stdout. */
  line(text = ""): void {
    this.stdout.write(`${text}\n`);
  }

  /** Writes raw text to stdout. */
  raw(text: string): void {
    this.stdout.write(text);
  }

  /** Writes raw text to stdout, waiting while its buffer is full: a large output stays bounded in memory. */
  async rawAsync(text: string): Promise<void> {
    if (!this.stdout.write(text)) await new Promise<void>((resolve) => this.stdout.once("drain", () => resolve()));
  }

  /** Writes text plus a newline to stderr. */
  error(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** One compact JSON document on one line: the `--json` shape. */
  json(value: unknown): void {
    this.line(JSON.stringify(value));
  }

  /**
   * A value the way `--plain` prints it: strings as they are, everything else as compact JSON —
   * with control characters made visible (terminal-text.ts), so one value stays one safe line.
   */
  plain(value: unknown): void {
    this.line(value instanceof Styled ? value.text : plainText(value));
  }

  /** A JSON value for people: indented, keys coloured on a terminal. */
  pretty(value: unknown): void {
    const text = terminalJson(JSON.stringify(value, null, 2) ?? "undefined");
    this.line(
      this.colors.enabled ? text.replace(/^(\s*)("(?:[^"\\]|\\.)*")(: )/gm, (_m, a, k, b) => `${a}${this.colors.cyan(k)}${b}`) : text,
    );
  }

  /** A table with a header row. cli-table3 is loaded only here, so `--json` and `--plain` never pay for it. */
  async table(head: string[], rows: Cell[][]): Promise<void> {
    if (rows.length === 0) {
      this.line(this.colors.dim("(none)"));
      return;
    }
    const Table = await loadTable();
    const t = new Table({
      head: head.map((h) => this.colors.bold(h)),
      style: { head: [], border: [], compact: true },
      chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
      wordWrap: false,
    });
    for (const r of rows) t.push(r.map(cellText));
    this.line(t.toString());
  }

  /** A two-column field/value table for one record. */
  async record(fields: Record<string, unknown>): Promise<void> {
    const Table = await loadTable();
    const t = new Table({ style: { head: [], border: [], compact: true }, wordWrap: false });
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const cell = typeof v === "object" && v !== null && !(v instanceof Styled) ? JSON.stringify(v) : (v as Cell);
      t.push({ [this.colors.bold(k)]: cellText(cell) });
    }
    this.line(t.toString());
  }
}

/** cli-table3 is CommonJS (`export =`); imported from ESM its export is the namespace's default. */
async function loadTable(): Promise<typeof import("cli-table3")> {
  const mod = await import("cli-table3");
  return (mod as unknown as { default: typeof mod }).default;
}

export function plainText(value: unknown): string {
  return typeof value === "string" ? terminalText(value) : terminalJson(JSON.stringify(value) ?? "");
}

/** A table cell: stored text with its control characters made visible, so it cannot break the table or the terminal. */
function cellText(c: Cell): string {
  if (c === undefined || c === null) return "";
  if (c instanceof Styled) return c.text;
  return terminalText(String(c));
}
