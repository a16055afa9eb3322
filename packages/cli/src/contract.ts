import type { Store, StoreApi, StoreOptions } from "@statehouse/core";
import type { Output } from "./io/output.js";
import type { CliRequest, CliResponse } from "@statehouse/server/daemon";
import type { ForwardRunnerOptions } from "./forward-runner.js";

// The command contract: what a command is, what its handler receives, and its usage line. The
// parser (args.ts), the command table (commands/spec.ts), help and every handler import this file;
// it imports none of them, so the CLI's import graph has no loop (handlers never reach up into the
// parser, and the parser reaches handlers only through the table's lazy imports).

/** Parsed option values, global and the command's, by long name. */
export type Values = Record<string, string | boolean | undefined>;

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** Shown in help: `--doc NAME`. */
  readonly arg?: string;
  readonly help: string;
  /** The command cannot run without it: usage shows it without brackets. */
  readonly required?: boolean;
}

export type Handler = (ctx: CommandContext) => Promise<number | undefined>;

/** One command: what it accepts, how it is described, and how to load its code (only when run). */
export interface CommandSpec {
  /** Words after `statehouse`, e.g. `state get`. */
  readonly name: string;
  /** Positional arguments in order; a trailing `?` marks an optional one. */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly summary: string;
  /** Extra lines of help (argument meanings, output shapes). */
  readonly details?: readonly string[];
  readonly examples: readonly string[];
  /** Loads the handler: a dynamic import, so a command never loads another command's code. */
  readonly load: () => Promise<Handler>;
  /** Whether the command can run without a store (then `--store` is ignored). */
  readonly noStore?: boolean;
}

/** What a command handler gets. */
export interface CommandContext {
  readonly command: CommandSpec;
  /** Positional arguments, in the order of `command.args`. */
  readonly args: readonly string[];
  /** Options, global and the command's. */
  readonly opts: Values;
  readonly out: Output;
  /** The store URL: `--store`, else STATEHOUSE_STORE, else the nearest `.statehouse` upward, else `file:./.statehouse`. */
  readonly storeUrl: string;
  /** Why that store: which of the above chose it (`doctor` prints it). */
  readonly storeOrigin: string;
  /** The command only reads: `open()` does not create a missing store (E_NOT_FOUND instead). */
  readonly readOnly: boolean;
  /** The adapter options of the global `--durability` and `--lock-timeout`. */
  readonly storeOptions: StoreOptions;
  /**
   * Opens the store (once): through the daemon serving it when there is one (see forward.ts), else
   * directly. The CLI closes it when the command ends, whatever happens.
   */
  open(options?: StoreOptions): Promise<StoreApi>;
  /** Opens the store directly, for commands that need its adapter (export, migrate, …); never through a daemon. */
  openLocal(options?: StoreOptions): Promise<Store>;
  /** The daemon's runner of thin clients' commands (`serve` gives it to the daemon): see forward-runner.ts. */
  forwardRunner(options: ForwardRunnerOptions): (request: CliRequest) => Promise<CliResponse>;
}

/** `statehouse state get [QUERY] [--doc NAME] [--session ID]` */
export function usageLine(command: CommandSpec): string {
  const args = command.args.map((a) => (a.endsWith("?") ? `[${a.slice(0, -1)}]` : a));
  const opts = Object.entries(command.options).map(([k, o]) => {
    const text = `--${k}${o.arg === undefined ? "" : ` ${o.arg}`}`;
    return o.required === true ? text : `[${text}]`;
  });
  return ["statehouse", command.name, ...args, ...opts].join(" ");
}
