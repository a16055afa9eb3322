import { statSync } from "node:fs";
import { dirname, join } from "node:path";

/** The default store's directory name, looked for upward from the working directory. */
export const STORE_DIR_NAME = ".statehouse";

/** Which store the CLI uses, and why (`doctor` says so). */
export interface StoreLocation {
  readonly url: string;
  readonly origin: string;
}

/**
 * Commands that only read: they open the store without creating it, so a mistyped location is
 * E_NOT_FOUND instead of a new empty store (`migrate` only reads its source).
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  "alerts",
  "state get",
  "session list",
  "session show",
  "agent list",
  "agent show",
  "config get",
  "config validate",
  "tools list",
  "tools show",
  "doctor",
  "export",
  "migrate",
  "dashboard",
]);

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `--store`, else a non-empty STATEHOUSE_STORE, else the nearest `.statehouse` directory from the
 * working directory upward (as git finds `.git`: a hook started in a subdirectory uses the
 * project's store), else `file:./.statehouse` in the working directory (created by the first write).
 */
export function locateStore(flag: string | undefined, env: string | undefined, cwd: string): StoreLocation {
  if (flag !== undefined) return { url: flag, origin: "--store" };
  // An empty STATEHOUSE_STORE (`STATEHOUSE_STORE= statehouse …`) means unset, as for most variables.
  if (env !== undefined && env !== "") return { url: env, origin: "STATEHOUSE_STORE" };
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, STORE_DIR_NAME);
    if (isDirectory(candidate)) {
      const where = dir === cwd ? "in the working directory" : `in ${dir}, found searching upward from ${cwd}`;
      return { url: `file:${candidate}`, origin: `default: the ${STORE_DIR_NAME} directory ${where}` };
    }
    if (dirname(dir) === dir) break;
  }
  return {
    url: `file:./${STORE_DIR_NAME}`,
    origin: `default: no ${STORE_DIR_NAME} directory in ${cwd} or above, so ./${STORE_DIR_NAME} (a write creates it)`,
  };
}
