import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The READMEs of a workspace, relative to its root: the root's, then each package's that has one.
 * The tests that run README samples (TypeScript and shell) read the same list.
 */
export function workspaceReadmes(root: string): string[] {
  const packages = readdirSync(join(root, "packages")).map((p) => join("packages", p, "README.md"));
  return ["README.md", ...packages].filter((f) => existsSync(join(root, f)));
}
