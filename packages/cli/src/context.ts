import type { Store, StoreApi, StoreOptions } from "@statehouse/core";
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
  /** The store URL: `--store`, else STATEHOUSE_STORE, else `file:./.statehouse`. */
  readonly storeUrl: string;
  /** The adapter options of the global `--durability` and `--lock-timeout`. */
  readonly storeOptions: StoreOptions;
  /**
   * Opens the store (once): through the daemon serving it when there is one (see forward.ts), else
   * directly. The CLI closes it when the command ends, whatever happens.
   */
  open(options?: StoreOptions): Promise<StoreApi>;
  /** Opens the store directly, for commands that need its adapter (export, migrate, …); never through a daemon. */
  openLocal(options?: StoreOptions): Promise<Store>;
}
