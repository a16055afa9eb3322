/**
 * @statehouse/cli as a library: run the `statehouse` command in-process, its contract (exit
 * statuses), and the export writer (`exportStore`, what `statehouse export` writes). Importing this loads nothing else; each command loads its own code when run.
 */
export { run, DEFAULT_STORE } from "./main.js";
export { EXIT_CODES, USAGE_CODE, describeError, type ErrorShape } from "./exit-codes.js";
export { COMMANDS, GLOBAL_OPTIONS } from "./commands/spec.js";
export type { CommandContext, CommandSpec, Handler, OptionSpec, Values } from "./contract.js";
export {
  exportStore,
  DEFAULT_EXPORT_BATCH_CHARS,
  type ExportSink,
  type ExportStoreOptions,
  type ExportSummary,
} from "./store-io/export-stream.js";
