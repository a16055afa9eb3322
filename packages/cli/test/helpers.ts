import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChild, tempDir as kitTempDir } from "@statehouse/conformance/testing";

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGES = join(here, "..", "..");

/** The real binary; STATEHOUSE_CLI_BIN may point at another build of it (e.g. an installed one). */
export const BIN = process.env.STATEHOUSE_CLI_BIN ?? join(here, "..", "bin", "statehouse.js");

export { TORTURE } from "@statehouse/conformance/testing";

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin (which is closed either way). */
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Runs `node bin/statehouse.js ARGS` as a child process (the test kit's runChild), stdin a pipe closed after `input`. */
export async function cli(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    STATEHOUSE_STORE: undefined,
    ...options.env,
  };
  const r = await runChild(BIN, args, { env, cwd: options.cwd ?? tmpdir(), input: options.input ?? "" }).done;
  return { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI with `--store URL` first. */
export function at(url: string) {
  return (args: readonly string[], options?: RunOptions) => cli(["--store", url, ...args], options);
}

/** Parses stdout as one JSON document, with the output in the failure message. */
export function json(r: Result): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** A readable summary for assertion messages. */
export function show(r: Result): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

export interface AdapterCase {
  readonly name: "memory" | "file" | "sqlite" | "lmdb";
  readonly url: (dir: string) => string;
  /** Data survives the process: multi-command tests need it. */
  readonly persistent: boolean;
}

/**
 * Every adapter URL the CLI supports. An adapter that is not built makes its cases fail (the CLI
 * reports E_CONFIG), so a missing adapter can never pass silently.
 */
export const ADAPTERS: readonly AdapterCase[] = [
  { name: "memory", url: () => "memory:", persistent: false },
  { name: "file", url: (dir) => `file:${dir}/store`, persistent: true },
  { name: "sqlite", url: (dir) => `sqlite:${dir}/store.db`, persistent: true },
  { name: "lmdb", url: (dir) => `lmdb:${dir}/env`, persistent: true },
];

export const PERSISTENT = ADAPTERS.filter((a) => a.persistent);

/**
 * One named step of a longer flow: a failure says which step it was in. Flows share a store
 * between steps, so the steps of one flow run in order.
 */
export async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) err.message = `[${name}] ${err.message}`;
    throw err;
  }
}

/** The adapters with a title note: what a flow does on `memory:` (each process gets a new empty store). */
export const FLOWS = ADAPTERS.map((a) => ({
  ...a,
  label: a.persistent ? a.name : `${a.name}, single-command steps only (each process gets a new empty store)`,
}));

/** A fresh private temporary directory from the test kit, `statehouse-<name>-XXXXXX`; remove it with `cleanup`. */
export function tempDir(name = "cli"): string {
  return kitTempDir(name).dir;
}

export { removeDir as cleanup } from "@statehouse/conformance/testing";

/** Runs tasks with at most `n` at a time (2 cores: keep the machine usable). */
export async function pool<T>(n: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return results;
}
