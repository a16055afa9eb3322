import type { Store } from "@statehouse/core";

/** Where a run prints and what it sees of its process: by default this process's own. */
export interface RunOptions {
  /** Default process.stdout. */
  stdout?: NodeJS.WriteStream;
  /** Default process.stderr. */
  stderr?: NodeJS.WriteStream;
  /** Read for STATEHOUSE_STORE, colours and STATEHOUSE_DEBUG. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where `.statehouse` is looked for. Default process.cwd(). */
  cwd?: string;
  /**
   * Run against this open store instead of opening one: the daemon running a thin client's command
   * (forward-runner.ts). `serves(url, cwd)` says whether it is the store the command names; when
   * not, or when the command is not a domain operation, the run throws ForwardRefused. Never closed here.
   */
  daemonStore?: { store: Store; serves(storeUrl: string, cwd: string): boolean; commands: ReadonlySet<string> };
}
