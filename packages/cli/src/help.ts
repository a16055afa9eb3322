import { COMMANDS, GLOBAL_OPTIONS } from "./commands/spec.js";
import { type CommandSpec, type OptionSpec, usageLine } from "./contract.js";
import { EXIT_CODES } from "./exit-codes.js";
import type { Colors } from "./io/color.js";

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(
    ([k, o]) => [`${o.short === undefined ? "    " : `-${o.short}, `}--${k}${o.arg === undefined ? "" : ` ${o.arg}`}`, o.help] as const,
  );
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`);
}

function commandHelp(c: CommandSpec, colors: Colors): string {
  const lines = [`${colors.bold("usage:")} ${usageLine(c)}`, "", c.summary];
  if (c.details !== undefined) lines.push("", ...c.details);
  if (Object.keys(c.options).length > 0) lines.push("", colors.bold("options:"), ...optionLines(c.options));
  lines.push("", colors.bold("global options:"), ...optionLines(GLOBAL_OPTIONS));
  lines.push("", colors.bold(c.examples.length > 1 ? "examples:" : "example:"), ...c.examples.map((e) => `  ${e}`));
  return `${lines.join("\n")}\n`;
}

function listHelp(commands: readonly CommandSpec[], colors: Colors): string[] {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${colors.cyan(c.name.padEnd(width))}  ${c.summary}`);
}

function exitTable(): string[] {
  return Object.entries(EXIT_CODES).map(
    ([k, v]) =>
      `  ${String(v).padStart(2)}  ${k === "OK" ? "ok" : k === "UNEXPECTED" ? "unexpected error" : k === "USAGE" ? "usage error (E_USAGE)" : k}`,
  );
}

/** Help for the whole CLI, a command group, or one command. */
export function helpText(topic: readonly string[], colors: Colors): string {
  const name = topic.join(" ");
  const exact = COMMANDS.find((c) => c.name === name);
  if (exact !== undefined) return commandHelp(exact, colors);
  const group = COMMANDS.filter((c) => c.name.startsWith(`${topic[0]} `));
  if (topic.length > 0 && group.length > 0) {
    return `${[`${colors.bold("usage:")} statehouse ${topic[0]} COMMAND …`, "", ...listHelp(group, colors), "", `Run "statehouse ${topic[0]} COMMAND --help" for its options and an example.`].join("\n")}\n`;
  }
  return `${[
    `${colors.bold("usage:")} statehouse [--store URL] [--json | --plain] COMMAND [ARGS] [OPTIONS]`,
    "",
    "The state and session store for AI-agent orchestration.",
    "",
    colors.bold("commands:"),
    ...listHelp(COMMANDS, colors),
    "",
    colors.bold("global options:"),
    ...optionLines(GLOBAL_OPTIONS),
    "",
    colors.bold("exit status:"),
    ...exitTable(),
    "",
    "Environment: STATEHOUSE_STORE (default store URL), NO_COLOR, FORCE_COLOR.",
    'Run "statehouse COMMAND --help" for a command\'s options and an example.',
  ].join("\n")}\n`;
}
