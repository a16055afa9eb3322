import type { Store, StoreOptions } from "@statehouse/core";
import type { Values } from "./args.js";
import type { CommandSpec } from "./commands/spec.js";
import type { Output } from "./io/output.js";

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
  /** Opens the store (once); the CLI closes it when the command ends, whatever happens. */
  open(options?: StoreOptions): Promise<Store>;
}
