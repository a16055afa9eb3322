import { parseArgs } from "node:util";
import { COMMANDS, GLOBAL_OPTIONS, groups } from "./commands/spec.js";
import { type CommandSpec, type OptionSpec, type Values, usageLine } from "./contract.js";
import { usageError } from "./usage.js";

export type Invocation =
  | { kind: "version"; values: Values }
  | { kind: "help"; topic: string[]; values: Values }
  | { kind: "run"; command: CommandSpec; positionals: string[]; values: Values };

// A negative number (`state incr /n -5`) is an argument, not an option: parseArgs would refuse it,
// so such tokens are swapped for placeholders while parsing and restored afterwards.
const NEGATIVE = /^-(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MARK = "\u0000neg:";

function toParseArgs(options: Readonly<Record<string, OptionSpec>>) {
  const out: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [k, o] of Object.entries(options)) out[k] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  return out;
}

function restore(s: string): string {
  return s.startsWith(MARK) ? s.slice(MARK.length) : s;
}

/** Reads the command words after any leading global options; returns them and the remaining tokens. */
function commandWords(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  let expectSub = false;
  for (; i < argv.length; i++) {
    const t = argv[i]!;
    // Everything from `--` on is for parseArgs (it makes the rest positional).
    if (t === "--") return { words, rest: [...rest, ...argv.slice(i)] };
    if (t.startsWith("-") && t !== "-" && !t.startsWith(MARK)) {
      rest.push(t);
      // A global option taking a value swallows the next token (`--store URL`).
      const name = t.replace(/^--?/, "");
      if (GLOBAL_OPTIONS[name]?.type === "string" && !t.includes("=") && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    if (words.length === 0) {
      words.push(t);
      expectSub = COMMANDS.some((c) => c.name.startsWith(`${t} `));
      if (!expectSub) break;
      continue;
    }
    if (expectSub) {
      words.push(t);
      break;
    }
  }
  return { words, rest: [...rest, ...argv.slice(i + 1)] };
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Parses the whole command line: which command, its arguments, its options and the global ones. */
export function parseInvocation(argv: readonly string[]): Invocation {
  const marked = argv.map((t) => (NEGATIVE.test(t) ? `${MARK}${t}` : t));
  const split = commandWords(marked);
  const words = split.words.map(restore);
  const rest = split.rest;
  const group = words[0];
  if (group === "help") return { kind: "help", topic: rest.filter((t) => !t.startsWith("-")), values: {} };
  let command: CommandSpec | undefined;
  if (group !== undefined) {
    command = COMMANDS.find((c) => c.name === words.join(" "));
    if (command === undefined) {
      const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
      if (subs.length === 0) {
        const hint = closest(group, groups());
        throw usageError(
          `unknown command "${group}"${hint === undefined ? "" : ` (did you mean "${hint}"?)`}`,
          "statehouse [--store URL] [--json | --plain] COMMAND",
          "statehouse --help",
        );
      }
      const sub = words[1];
      // `statehouse state` or `statehouse state --help`: help on the group.
      if (sub === undefined) {
        if (rest.includes("--help") || rest.includes("-h")) return { kind: "help", topic: [group], values: {} };
        throw usageError(
          `"${group}" needs a subcommand: ${subs.join(", ")}`,
          `statehouse ${group} ${subs.join("|")} …`,
          `statehouse ${group} --help`,
        );
      }
      const hint = closest(sub, subs);
      throw usageError(
        `unknown command "${group} ${sub}"${hint === undefined ? "" : ` (did you mean "${group} ${hint}"?)`}; ${group} commands: ${subs.join(", ")}`,
        `statehouse ${group} ${subs.join("|")} …`,
        `statehouse ${group} --help`,
      );
    }
  }
  const options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: toParseArgs(options), allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(
      describeParseError(err, command),
      command === undefined ? "statehouse [--store URL] [--json | --plain] COMMAND" : usageLine(command),
      helpHint(command),
    );
  }
  const values: Values = {};
  for (const [k, v] of Object.entries(parsed.values)) values[k] = typeof v === "string" ? restore(v) : (v as boolean | undefined);
  const positionals = parsed.positionals.map(restore);
  if (values.json === true && values.plain === true)
    throw usageError("--json and --plain exclude each other", "statehouse [--json | --plain] COMMAND", helpHint(command));
  if (values.version === true) return { kind: "version", values };
  if (values.help === true || command === undefined)
    return { kind: "help", topic: command === undefined ? [] : command.name.split(" "), values };
  const max = command.args.length;
  const min = command.args.filter((a) => !a.endsWith("?")).length;
  if (positionals.length < min) {
    throw usageError(`missing argument ${command.args[positionals.length]} for "${command.name}"`, usageLine(command), helpHint(command));
  }
  if (positionals.length > max) {
    throw usageError(
      `unexpected argument ${JSON.stringify(positionals[max])} for "${command.name}"`,
      usageLine(command),
      helpHint(command),
    );
  }
  return { kind: "run", command, positionals, values };
}

function describeParseError(err: unknown, command: CommandSpec | undefined): string {
  const e = err as { code?: string; message?: string };
  const where = command === undefined ? "" : ` for "${command.name}"`;
  const opt = /'(-[^' ]+)/.exec(e.message ?? "")?.[1];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const name = opt?.replace(/^--?/, "") ?? "";
      const hint = closest(name, Object.keys({ ...GLOBAL_OPTIONS, ...(command?.options ?? {}) }));
      return `unknown option ${opt ?? ""}${where}${hint === undefined ? "" : ` (did you mean --${hint}?)`}`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing/.test(e.message ?? "") ? `option ${opt ?? ""} needs a value` : `option ${opt ?? ""} takes no value`;
    default:
      return e.message ?? String(err);
  }
}

function helpHint(command: CommandSpec | undefined): string {
  return command === undefined ? "statehouse --help" : `statehouse ${command.name} --help`;
}
