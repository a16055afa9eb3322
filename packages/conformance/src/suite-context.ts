import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { AdapterCapabilities, AdapterOptions, StorageAdapter } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import { type DomainStore, type DomainStoreOptions, loadOpen } from "./domain-api.js";
import { ChildHandle, type SpawnChildOptions } from "./harness/child-process.js";
import type { ChildJob } from "./harness/job.js";
import { type ClauseGroup, DOMAIN_GROUPS } from "./groups.js";
import type { ResolvedOptions } from "./options.js";
import { type SizeTable, sizeTable } from "./sizes.js";
import { removeDir, tempDir } from "./testing/temp-dir.js";

/** What the probe store showed: its declared capabilities and its optional methods. */
export interface ProbeInfo {
  readonly kind: string;
  readonly hasCheck: boolean;
  readonly hasCompact: boolean;
  readonly hasTransactGroup: boolean;
}

/** Says why a clause cannot run here (a missing capability, not root, …), or undefined to run it. */
export type Requirement = (caps: AdapterCapabilities, probe: ProbeInfo) => string | undefined | Promise<string | undefined>;

export interface ClauseOptions {
  /** Every requirement must pass; the first reason found is the skip reason. */
  requires?: readonly Requirement[];
  /** Default: the size table's clause timeout. */
  timeoutMs?: number;
}

// Without an afterAll (jest users may leave it out) a suite's root still goes when the process
// ends; one listener for every suite in the process.
const liveRoots = new Set<string>();
process.once("exit", () => {
  for (const root of liveRoots) removeDir(root);
});

/**
 * Shared by every clause of one `runConformanceSuite` call: the options, the lazily probed
 * capabilities, and the temporary root under which each clause gets its own directory.
 */
export class SuiteContext {
  readonly sizes: SizeTable;
  private root: string | undefined;
  private caps: Promise<{ caps: AdapterCapabilities; probe: ProbeInfo }> | undefined;
  private readonly announced = new Set<string>();
  private group: { name: string; requires: readonly Requirement[] } | undefined;

  constructor(readonly options: ResolvedOptions) {
    this.sizes = sizeTable(options.sizes);
  }

  get expect(): ResolvedOptions["test"]["expect"] {
    return this.options.test.expect;
  }

  /** The suite's temporary root: 0711, so an unprivileged child can reach a clause directory it is let into. */
  rootDir(): string {
    if (this.root === undefined) {
      const root = tempDir("conformance").dir;
      chmodSync(root, 0o711);
      liveRoots.add(root);
      this.root = root;
    }
    return this.root;
  }

  /** A fresh empty directory (0700) under the suite's root. */
  freshDir(label: string): string {
    const slug = label.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
    return mkdtempSync(join(this.rootDir(), `${slug}-`));
  }

  /** Capabilities of the adapter, read from a probe store opened once in its own directory. */
  capabilities(): Promise<{ caps: AdapterCapabilities; probe: ProbeInfo }> {
    if (this.caps === undefined) {
      this.caps = (async () => {
        const dir = this.freshDir("probe");
        try {
          const adapter = await openAdapterUrl(this.options.storeUrl(dir), this.options.adapterOptions);
          const caps = adapter.capabilities;
          const probe: ProbeInfo = {
            kind: adapter.kind,
            hasCheck: typeof adapter.check === "function",
            hasCompact: typeof adapter.compact === "function",
            hasTransactGroup: typeof adapter.transactGroup === "function",
          };
          await adapter.close();
          return { caps, probe };
        } finally {
          removeDir(dir);
        }
      })();
    }
    return this.caps;
  }

  dispose(): void {
    if (this.root !== undefined) {
      removeDir(this.root);
      liveRoots.delete(this.root);
    }
    this.root = undefined;
  }

  /** Registers a clause group: a `describe` whose clauses all need `requires`, and that `skip` can switch off. */
  describeGroup(name: ClauseGroup, title: string, requires: readonly Requirement[], register: () => void): void {
    this.options.test.describe(`${name}: ${title}`, () => {
      const outer = this.group;
      this.group = { name, requires };
      try {
        register();
      } finally {
        this.group = outer;
      }
    });
  }

  /** Registers one clause of the current group. It gets a scope whose resources are released after it. */
  clause(title: string, fn: (scope: ClauseScope) => Promise<void>, options: ClauseOptions = {}): void {
    const group = this.group;
    if (group === undefined) throw new Error("clause() outside describeGroup()");
    const requires = [...group.requires, ...(options.requires ?? [])];
    // A rest parameter keeps fn.length at 0, so jest does not take the test for a done-callback one.
    this.options.test.it(
      title,
      async (...args: unknown[]) => {
        const reason = await this.skipReason(group.name, requires);
        if (reason !== undefined) {
          this.announce(group.name, title, reason);
          const ctx = args[0] as { skip?: (note: string) => void } | undefined;
          if (typeof ctx?.skip === "function") ctx.skip(reason);
          return;
        }
        const scope = new ClauseScope(this, title);
        try {
          await fn(scope);
        } finally {
          await scope.dispose();
        }
      },
      options.timeoutMs ?? this.sizes.clauseTimeoutMs,
    );
  }

  private async skipReason(group: string, requires: readonly Requirement[]): Promise<string | undefined> {
    const skipped = this.options.skip.get(group);
    if (skipped !== undefined) return skipped;
    if (this.options.remote !== undefined && !(DOMAIN_GROUPS as readonly string[]).includes(group)) {
      return `${this.options.remote.reason ?? "a remote store target runs the domain clauses only"}: "${group}" drives the adapter itself`;
    }
    const { caps, probe } = await this.capabilities();
    for (const r of requires) {
      const reason = await r(caps, probe);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  private announce(group: string, title: string, reason: string): void {
    // Once per group and reason, so a skipped group says why without repeating it per clause.
    const key = `${group}\u0000${reason}`;
    if (this.announced.has(key)) return;
    this.announced.add(key);
    console.log(`[statehouse conformance: ${this.options.name}] skipped "${group}" (from "${title}"): ${reason}`);
  }
}

/** The resources of one clause run: its directory, the adapters and children it opened. */
export class ClauseScope {
  /** The clause's fresh empty directory (0700). */
  readonly dir: string;
  private readonly adapters = new Set<StorageAdapter>();
  private readonly stores = new Set<DomainStore>();
  /** Remote target: the server URL per directory served. */
  private readonly served = new Map<string, string>();
  private readonly children = new Set<ChildHandle>();
  private readonly cleanups: Array<() => unknown> = [];
  private readonly dirs: string[] = [];

  constructor(
    readonly suite: SuiteContext,
    title: string,
  ) {
    this.dir = this.freshDir(title);
  }

  get expect(): ResolvedOptions["test"]["expect"] {
    return this.suite.options.test.expect;
  }

  get sizes(): SizeTable {
    return this.suite.sizes;
  }

  /** Another fresh directory, removed with the scope. */
  freshDir(label: string): string {
    const dir = this.suite.freshDir(label);
    this.dirs.push(dir);
    return dir;
  }

  /** The store URL for `dir` (default: the clause's directory). */
  url(dir: string = this.dir): string {
    return this.suite.options.storeUrl(dir);
  }

  /** The caller's adapter options with `extra` laid over them (limits merged field by field). */
  adapterOptions(extra: AdapterOptions = {}): AdapterOptions {
    const base = this.suite.options.adapterOptions;
    const merged: AdapterOptions = { ...base, ...extra };
    if (base.limits !== undefined || extra.limits !== undefined) merged.limits = { ...base.limits, ...extra.limits };
    return merged;
  }

  /** Opens the store in `dir` (default: the clause's directory); closed at the end of the clause. */
  async open(extra: AdapterOptions = {}, dir: string = this.dir): Promise<StorageAdapter> {
    const adapter = await openAdapterUrl(this.url(dir), this.adapterOptions(extra));
    this.adapters.add(adapter);
    return adapter;
  }

  /** Opens the store in `dir` through the domain API (`open(url)` of core); closed at the end of the clause. */
  async openStore(extra: DomainStoreOptions = {}, dir: string = this.dir): Promise<DomainStore> {
    const open = await loadOpen();
    if (open === undefined) throw new Error("@statehouse/core does not export open()");
    const { config, ...adapterExtra } = extra;
    const remote = this.suite.options.remote;
    if (remote !== undefined) {
      const options = { ...this.adapterOptions(adapterExtra), ...(config !== undefined && { config }) };
      // One server per directory and options: a clause that reopens with other limits gets its own.
      const key = `${dir}\u0000${JSON.stringify(options)}`;
      let url = this.served.get(key);
      if (url === undefined) {
        url = await remote.serve(dir, this.url(dir), options);
        this.served.set(key, url);
        if (!this.served.has(dir)) this.served.set(dir, url);
      }
      const store = await remote.open(url);
      this.stores.add(store);
      return store;
    }
    const store = await open(this.url(dir), { ...this.adapterOptions(adapterExtra), ...(config !== undefined && { config }) });
    this.stores.add(store);
    return store;
  }

  /** Closes a store this scope opened. */
  async closeStore(store: DomainStore): Promise<void> {
    this.stores.delete(store);
    await store.close();
  }

  /** Closes an adapter this scope opened (so it is not closed twice at the end). */
  async close(adapter: StorageAdapter): Promise<void> {
    this.adapters.delete(adapter);
    await adapter.close();
  }

  /** Spawns a child running `role` on the store in `dir` (default: the clause's directory). */
  spawn(
    role: string,
    params: Record<string, unknown> = {},
    options: SpawnChildOptions & { dir?: string; extra?: AdapterOptions } = {},
  ): ChildHandle {
    const dir = options.dir ?? this.dir;
    const remote = this.suite.options.remote;
    let remoteJob: ChildJob["remote"];
    if (remote !== undefined) {
      const url = this.served.get(dir);
      if (url === undefined) throw new Error(`remote target: open the store of ${dir} (openStore) before spawning children that use it`);
      remoteJob = { module: remote.childModule ?? "@statehouse/client", url };
    }
    const job: ChildJob = {
      role,
      url: this.url(dir),
      ...(remoteJob !== undefined && { remote: remoteJob }),
      adapterOptions: this.adapterOptions(options.extra),
      childImports: this.suite.options.childImports,
      params,
    };
    const child = new ChildHandle(job, options);
    this.children.add(child);
    return child;
  }

  /** Runs `fn` when the scope is disposed, before its directories are removed (e.g. to undo a chmod). */
  defer(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  async dispose(): Promise<void> {
    // Children first: a clause that failed half-way must not leave processes running.
    for (const child of this.children) child.kill("SIGKILL");
    await Promise.all([...this.children].map((c) => c.exit));
    for (const store of this.stores) {
      try {
        await store.close();
      } catch {
        // a clause may have closed or broken it on purpose
      }
    }
    const remote = this.suite.options.remote;
    if (remote !== undefined) {
      for (const [key, url] of this.served) {
        if (!key.includes("\u0000")) continue;
        try {
          await remote.stop(url);
        } catch {
          // stopping is best effort; the clause's verdict is already made
        }
      }
      this.served.clear();
    }
    for (const adapter of this.adapters) {
      try {
        await adapter.close();
      } catch {
        // a clause may have broken it on purpose
      }
    }
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // cleanup is best effort; the directory removal below still runs
      }
    }
    for (const dir of [this.dir, ...this.dirs]) removeDir(dir);
  }
}
