import { fileURLToPath } from "node:url";
import { type ChildMessage, JsonLinesChild } from "../testing/json-lines-child.js";
import { type ChildJob, JOB_ENV } from "./job.js";

export type { ChildExit } from "../testing/json-lines-child.js";

/** The child script shipped beside this module in the package's dist. */
export const CHILD_SCRIPT = fileURLToPath(new URL("./child.js", import.meta.url));

export interface SpawnChildOptions {
  /**
   * A command placed before `node child.js`, e.g. `["setpriv", "--reuid=65534", …]`. When it
   * contains the string `{node}` / `{script}`, those are replaced instead of appended (for
   * `sh -c` wrappers). Default: none.
   */
  prefix?: readonly string[];
  /** Default: the test's `process.cwd()`, so the adapter package resolves from the application. */
  cwd?: string;
}

function argvOf(prefix: readonly string[]): string[] {
  if (prefix.includes("{node}")) return prefix.map((a) => (a === "{node}" ? process.execPath : a === "{script}" ? CHILD_SCRIPT : a));
  return [...prefix, process.execPath, CHILD_SCRIPT];
}

/**
 * A conformance child: the test kit's JSON-lines child running `child.js` with its job in the
 * environment. Messages of a type are consumed in order by `next(type)`, so a parent can wait for
 * the 5th ack without racing the child.
 */
export class ChildHandle extends JsonLinesChild {
  constructor(
    readonly job: ChildJob,
    options: SpawnChildOptions = {},
  ) {
    super(argvOf(options.prefix ?? []), {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, [JOB_ENV]: JSON.stringify(job) },
      label: job.role,
    });
  }

  /** Waits for the child's `result` message and its exit; rejects on a failure or a non-zero exit. */
  async result(timeoutMs = 600_000): Promise<ChildMessage> {
    const result = await this.next("result", timeoutMs);
    const exit = await this.exit;
    if (exit.code !== 0)
      throw new Error(`child ${this.job.role} exited with ${exit.code ?? exit.signal} after its result; stderr: ${this.stderr}`);
    return result;
  }
}
