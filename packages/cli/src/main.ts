import type { Store, StoreApi, StoreOptions } from "@statehouse/core";
import { registerCliAdapters } from "./adapters.js";
import { parseInvocation } from "./args.js";
import type { CommandContext, Values } from "./contract.js";
import { EXIT_CODES, describeError } from "./exit-codes.js";
import { daemonSocketFor } from "./forward.js";
import { forwardRunner } from "./forward-runner.js";
import { ForwardRefused } from "./io/forwarded.js";
import { Output, type OutputMode } from "./io/output.js";
import type { RunOptions } from "./run-options.js";
import { usageError } from "./usage.js";

export type { RunOptions } from "./run-options.js";

/** The default store when neither `--store` nor STATEHOUSE_STORE names one and no `.statehouse` is found upward. */
export const DEFAULT_STORE = "file:./.statehouse";

/** Runs the CLI with the given arguments; resolves to the exit status (it does not exit). */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const output = (m: OutputMode) => new Output(m, options.stdout, options.stderr, env);
  let mode: OutputMode = argv.includes("--json") ? "json" : argv.includes("--plain") ? "plain" : "human";
  let out = output(mode);
  let store: StoreApi | undefined;
  const inDaemon = options.daemonStore;
  try {
    const inv = parseInvocation(argv);
    mode = inv.values.json === true ? "json" : inv.values.plain === true ? "plain" : "human";
    out = output(mode);
    if (inv.kind === "version") {
      const { version } = await import("./version.js");
      out.line(mode === "json" ? JSON.stringify({ version: await version() }) : await version());
      return EXIT_CODES.OK;
    }
    if (inv.kind === "help") {
      const { helpText } = await import("./help.js");
      out.raw(helpText(inv.topic, out.colors));
      return EXIT_CODES.OK;
    }
    const { locateStore, READ_ONLY_COMMANDS } = await import("./store-location.js");
    const cwd = options.cwd ?? process.cwd();
    const location = locateStore(inv.values.store as string | undefined, env.STATEHOUSE_STORE, cwd);
    const storeUrl = location.url;
    if (inDaemon !== undefined) {
      if (!inDaemon.commands.has(inv.command.name.split(" ")[0]!) || inv.values["no-daemon"] === true)
        throw new ForwardRefused("not a domain operation");
      if (!inDaemon.serves(storeUrl, cwd)) throw new ForwardRefused("another store");
    }
    // A read never creates a store: a mistyped location is E_NOT_FOUND, not a new empty store.
    const readOnly = READ_ONLY_COMMANDS.has(inv.command.name);
    const direct = (options?: StoreOptions): StoreOptions => ({ ...storeOptions, ...(readOnly && { create: false }), ...options });
    const storeOptions = globalStoreOptions(inv.values);
    // A daemon serving this store takes the command: no adapter is loaded, no lock is taken.
    const socket = inDaemon === undefined ? await daemonSocketFor(inv.command, inv.values, storeUrl, out) : undefined;
    let local: Store | undefined = inDaemon?.store;
    if (inDaemon !== undefined) store = inDaemon.store;
    if (socket === undefined && inDaemon === undefined) registerCliAdapters();
    const ctx: CommandContext = {
      command: inv.command,
      args: inv.positionals,
      opts: inv.values,
      out,
      storeUrl,
      storeOrigin: location.origin,
      storeOptions,
      readOnly,
      forwardRunner: (o) => forwardRunner(run, o),
      async open(options?: StoreOptions): Promise<StoreApi> {
        if (socket !== undefined) {
          if (store === undefined) {
            const client = await import("@statehouse/client");
            store = await client.open(`unix:${socket}`);
          }
          return store;
        }
        store ??= local = await openLocal(storeUrl, direct(options));
        return store;
      },
      async openLocal(options?: StoreOptions): Promise<Store> {
        if (socket !== undefined) registerCliAdapters();
        local ??= await openLocal(storeUrl, direct(options));
        store = local;
        return local;
      },
    };
    const handler = await inv.command.load();
    return (await handler(ctx)) ?? EXIT_CODES.OK;
  } catch (err) {
    if (err instanceof ForwardRefused) throw err;
    report(out, mode, err, env);
    return describeError(err).exitStatus;
  } finally {
    if (store !== undefined && store !== inDaemon?.store) {
      try {
        await store.close();
      } catch (err) {
        report(out, mode, err, env);
      }
    }
  }
}

async function openLocal(url: string, options: StoreOptions): Promise<Store> {
  const { open } = await import("@statehouse/core");
  return open(url, options);
}

const GLOBAL_USAGE = "statehouse [--store URL] [--durability strict|relaxed] [--lock-timeout MS] [--json | --plain] COMMAND";

function globalStoreOptions(values: Values): StoreOptions {
  const options: StoreOptions = {};
  const durability = values.durability;
  if (durability !== undefined) {
    if (durability !== "strict" && durability !== "relaxed")
      throw usageError(`--durability must be strict or relaxed, got ${JSON.stringify(durability)}`, GLOBAL_USAGE, "statehouse --help");
    options.durability = durability;
  }
  const timeout = values["lock-timeout"];
  if (timeout !== undefined) {
    if (typeof timeout !== "string" || !/^\d+$/.test(timeout) || Number(timeout) > 3_600_000) {
      throw usageError(
        `--lock-timeout must be a number of milliseconds (0 to 3600000), got ${JSON.stringify(timeout)}`,
        GLOBAL_USAGE,
        "statehouse --help",
      );
    }
    options.lockTimeoutMs = Number(timeout);
  }
  return options;
}

function report(out: Output, mode: OutputMode, err: unknown, env: NodeJS.ProcessEnv): void {
  const e = describeError(err);
  if (mode === "json") {
    out.error(JSON.stringify({ error: e }));
    return;
  }
  const c = out.errColors;
  const issues = e.details.issues;
  const listed = Array.isArray(issues) && issues.length > 1;
  // The issues are listed one per line below: the message need not repeat them joined.
  const joined = listed ? `: ${issues.join("; ")}` : "";
  const message = listed && e.message.endsWith(joined) ? e.message.slice(0, -joined.length) : e.message;
  const lines = [`${c.red("statehouse:")} ${c.bold(e.code)}: ${message}`];
  if (typeof e.details.usage === "string") lines.push(`usage: ${e.details.usage}`, `see: ${String(e.details.help)}`);
  if (e.code === "E_CONFLICT" && typeof e.details.id === "string" && typeof e.details.currentRevision === "number")
    lines.push(`current revision: ${e.details.currentRevision}`);
  if (listed) for (const i of issues) lines.push(`  - ${String(i)}`);
  if (e.code === "E_UNEXPECTED" && err instanceof Error && err.stack !== undefined && env.STATEHOUSE_DEBUG) lines.push(err.stack);
  out.error(lines.join("\n"));
}
