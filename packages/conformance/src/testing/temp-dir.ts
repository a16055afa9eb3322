import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh private directory under the system's temporary directory, and how to remove it. */
export interface TempDir {
  readonly dir: string;
  /** Removes the directory and everything in it; never throws. */
  cleanup(): void;
}

/** Makes a temporary directory named `statehouse-<prefix>-XXXXXX` (mode 0700, as mkdtemp makes it). */
export function tempDir(prefix = "test"): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `statehouse-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
