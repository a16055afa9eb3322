import type { AdapterOptions } from "@statehouse/core";

/** What a child process is asked to do; passed in the environment as JSON. */
export interface ChildJob {
  /** The name of the child role (see `child/roles.ts`). */
  readonly role: string;
  /** The store URL the child opens with `openAdapterUrl`. */
  readonly url: string;
  readonly adapterOptions: AdapterOptions;
  /** Modules imported first, resolved from the child's working directory. */
  readonly childImports: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  /** With a remote store target: domain roles open `url` with the `open` of `module` instead of core's. */
  readonly remote?: { readonly module: string; readonly url: string };
}

/** One line a child prints: a JSON object whose `t` says what it is (the test kit's JSON-lines protocol). */
export type { ChildMessage } from "../testing/json-lines-child.js";

export const JOB_ENV = "STATEHOUSE_CONFORMANCE_JOB";
