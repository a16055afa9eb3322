import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunChildOptions, runChild as runScript } from "@statehouse/conformance/testing";

// The PostgreSQL adapter's child processes run on the shared test kit; what is theirs is where
// their fixtures are.
export { type ChildResult, killChildren, sleep } from "@statehouse/conformance/testing";

export const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));

/** Runs `node fixtures/<script> ...args` (optionally wrapped) and collects its output. */
export function runChild(script: string, args: string[], options: RunChildOptions = {}): ReturnType<typeof runScript> {
  return runScript(join(FIXTURES, script), args, options);
}
