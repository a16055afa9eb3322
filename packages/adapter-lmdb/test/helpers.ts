import { fileURLToPath } from "node:url";
import { type RunChildOptions, type TempDir, runChild as runScript, tempDir as kitTempDir } from "@statehouse/conformance/testing";

// The LMDB adapter's tests run on the shared test kit; what is theirs is their one child script,
// which takes a mode and its arguments as JSON.
export { type ChildResult, TORTURE, killChildren, sized, sleep, waitForLine } from "@statehouse/conformance/testing";

const CHILD = fileURLToPath(new URL("./fixtures/child.mjs", import.meta.url));

/** A fresh private temporary directory and its cleanup. */
export function tempDir(): TempDir {
  return kitTempDir("lmdb-test");
}

/** Runs `node fixtures/child.mjs <mode> <json>` (optionally wrapped, e.g. by unshare) and collects its output. */
export function runChild(mode: string, args: Record<string, unknown>, options: RunChildOptions = {}): ReturnType<typeof runScript> {
  return runScript(CHILD, [mode, JSON.stringify(args)], options);
}
