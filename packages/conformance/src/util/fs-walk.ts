import { lstatSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

export interface WalkEntry {
  /** Relative to the walked root; "" is the root itself. */
  readonly path: string;
  readonly type: "file" | "dir" | "symlink" | "other";
  /** Permission bits (mode & 0o777). */
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Every entry under `root` (the root included), depth first, sorted by path. Missing root: []. */
export function walk(root: string): WalkEntry[] {
  const out: WalkEntry[] = [];
  const visit = (path: string): void => {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
    out.push({ path: relative(root, path), type, mode: st.mode & 0o777, size: st.size, mtimeMs: st.mtimeMs });
    if (type === "dir") {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names.sort()) visit(join(path, name));
    }
  };
  visit(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Names a store may leave behind after a crash and must clean up on reopen. The suite checks the
 * name (last path component) of every entry under the clause's directory against this pattern.
 */
export const TEMPORARY_NAME = /tmp|\.tmp|~$/i;

/** Entries whose own name (last path component) looks like a temporary file. */
export function temporaryFiles(root: string): string[] {
  return walk(root)
    .filter((e) => e.path !== "")
    .filter((e) => TEMPORARY_NAME.test(e.path.split("/").pop()!))
    .map((e) => e.path);
}
