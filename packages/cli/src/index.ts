/**
 * @statehouse/cli as a library: run the `statehouse` command in-process, and its contract (exit
 * statuses). Importing this loads nothing else; each command loads its own code when run.
 */
export { run, DEFAULT_STORE } from "./main.js";
export { EXIT_CODES, USAGE_CODE, describeError, type ErrorShape } from "./exit-codes.js";
export { COMMANDS, GLOBAL_OPTIONS } from "./commands/spec.js";
export type { CommandContext, CommandSpec, Handler, OptionSpec, Values } from "./contract.js";
