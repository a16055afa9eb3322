import { type AdapterOptions, ConfigError } from "@statehouse/core";
import type { DomainStore, DomainStoreOptions } from "./domain-api.js";
import { CLAUSE_GROUPS } from "./groups.js";
import { TORTURE } from "./testing/sizes.js";

/** A test function as vitest and jest call it; vitest passes its test context first. */
export type ConformanceTestFn = (...args: any[]) => unknown;

/**
 * The few functions of a vitest- or jest-compatible test framework the suite uses. Pass the
 * framework's own functions: `{ describe, it, expect, beforeAll, afterAll }` from `vitest`, or
 * jest's globals. The suite never imports a test framework itself.
 */
export interface ConformanceTestApi {
  /** Groups clauses; called with a name and a synchronous callback. */
  describe: (name: string, fn: () => void) => unknown;
  /** Registers one clause; the third argument is its timeout in milliseconds. */
  it: (name: string, fn: ConformanceTestFn, timeout?: number) => unknown;
  /** vitest/jest `expect`; the suite uses toBe, toEqual, toBeGreaterThan(OrEqual), toBeLessThan(OrEqual), toBeUndefined, toHaveLength. */
  expect: (actual: unknown, message?: string) => any;
  /** Not required: every clause cleans up after itself. */
  beforeEach?: (fn: () => unknown, timeout?: number) => unknown;
  /** Not required: every clause cleans up after itself. */
  afterEach?: (fn: () => unknown, timeout?: number) => unknown;
  /** Not required: the capability probe runs lazily at the first clause. */
  beforeAll?: (fn: () => unknown, timeout?: number) => unknown;
  /** When given, removes the suite's temporary root directory at the end. Default: each clause removes its own directory. */
  afterAll?: (fn: () => unknown, timeout?: number) => unknown;
}

/** Test sizes: `quick` is what CI runs on every change, `full` what a torture run uses (TESTPLAN.md). */
export type ConformanceSizes = "quick" | "full";

export interface ConformanceSuiteOptions {
  /** Shown in the top-level `describe`: `statehouse conformance: <name>`. Required. */
  name: string;
  /** The test framework's functions. Required. */
  test: ConformanceTestApi;
  /**
   * The URL of a store inside `dir`, a fresh empty directory (mode 0700) that the suite made for
   * one clause: e.g. `(dir) => \`sqlite:${dir}/store.db\``. The suite opens the URL itself, in
   * this process and in child processes; fault clauses may mount a small tmpfs on `dir`, chmod
   * it, or run a child as an unprivileged user. Required.
   */
  storeUrl: (dir: string) => string;
  /** Passed to every `openAdapterUrl(url, options)`, in this process and in children. Default `{}`. */
  adapterOptions?: AdapterOptions;
  /**
   * Modules each child process imports before opening the store, e.g. one that calls
   * `registerAdapter("mydb", …)` for a third-party scheme. A relative path is resolved from the
   * test's working directory (`process.cwd()`), a bare name as a package from there. Default `[]`.
   */
  childImports?: string[];
  /** Default: `"full"` in a torture run (STATEHOUSE_TORTURE=1, read by the test kit's `TORTURE`), else `"quick"`. */
  sizes?: ConformanceSizes;
  /**
   * Clause groups to skip, each `"group"` or `"group: reason"`; the reason (or "skipped by the
   * suite's options") is printed and given to the framework's skip. Group names are listed in the
   * README (e.g. `crash-loop`, `disk-full`). Default `[]`.
   */
  skip?: string[];
  /**
   * Runs the domain clauses against a remote store (e.g. the statehouse daemon and its client)
   * instead of core's in-process `open`. Every other group is skipped with `remote.reason`. Default: none.
   */
  remote?: RemoteStoreTarget;
}

/** A remote front end over the store in a clause's directory, for `ConformanceSuiteOptions.remote`. */
export interface RemoteStoreTarget {
  /** Why the adapter-level groups are skipped; printed. Default: "a remote store target runs the domain clauses only". */
  reason?: string;
  /**
   * Starts a server for the store `storeUrl(dir)` opened with `options`; resolves to the URL clients
   * use (e.g. `unix:/…/s.sock`). Called once per clause directory, at its first `openStore`.
   */
  serve(dir: string, storeUrl: string, options: DomainStoreOptions): Promise<string>;
  /** Opens a client on a URL `serve` returned (e.g. `open` of `@statehouse/client`). */
  open(url: string): Promise<DomainStore>;
  /** Stops a server `serve` started; called when its clause ends, after the clause's clients are closed. */
  stop(url: string): Promise<void>;
  /**
   * A module child processes import to reach the server: it exports `open(url)`. Resolved like
   * `childImports`. Default `"@statehouse/client"`.
   */
  childModule?: string;
}

export interface ResolvedOptions {
  readonly name: string;
  readonly test: ConformanceTestApi;
  readonly storeUrl: (dir: string) => string;
  readonly adapterOptions: AdapterOptions;
  readonly childImports: readonly string[];
  readonly sizes: ConformanceSizes;
  /** group → reason */
  readonly skip: ReadonlyMap<string, string>;
  readonly remote: RemoteStoreTarget | undefined;
}

export function resolveOptions(options: ConformanceSuiteOptions): ResolvedOptions {
  const skip = new Map<string, string>();
  for (const entry of options.skip ?? []) {
    const at = entry.indexOf(":");
    const group = (at < 0 ? entry : entry.slice(0, at)).trim();
    const reason = at < 0 ? "" : entry.slice(at + 1).trim();
    // A misspelt group would otherwise run silently instead of being skipped.
    if (!(CLAUSE_GROUPS as readonly string[]).includes(group)) {
      throw new ConfigError(`skip names an unknown clause group "${group}"; the groups are: ${CLAUSE_GROUPS.join(", ")}`, {
        details: { group },
      });
    }
    skip.set(group, reason === "" ? "skipped by the suite's options" : reason);
  }
  if (options.sizes !== undefined && options.sizes !== "quick" && options.sizes !== "full") {
    throw new ConfigError(`sizes must be "quick" or "full", got ${JSON.stringify(options.sizes)}`, { details: { sizes: options.sizes } });
  }
  return {
    name: options.name,
    test: options.test,
    storeUrl: options.storeUrl,
    adapterOptions: options.adapterOptions ?? {},
    childImports: options.childImports ?? [],
    sizes: options.sizes ?? (TORTURE ? "full" : "quick"),
    skip,
    remote: options.remote,
  };
}
