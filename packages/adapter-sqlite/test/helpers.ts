import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunChildOptions, type TempDir, runChild as runScript, tempDir as kitTempDir } from "@statehouse/conformance/testing";

// The SQLite adapter's tests run on the shared test kit; what is theirs is where their fixtures are.
export { type ChildResult, TORTURE, killChildren, sized, sleep } from "@statehouse/conformance/testing";

export const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));

/** A fresh temporary directory, 0700 (mkdtemp), removed by its cleanup. */
export function tempDir(): TempDir {
  return kitTempDir("sqlite-test");
}

/** Runs `node fixtures/<script> ...args` (optionally wrapped, e.g. by setpriv) and collects its output. */
export function runChild(script: string, args: string[], options: RunChildOptions = {}): ReturnType<typeof runScript> {
  return runScript(join(FIXTURES, script), args, options);
}
