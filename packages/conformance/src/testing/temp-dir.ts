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
  return { dir, cleanup: () => removeDir(dir) };
}

/**
 * Removes a directory and everything in it; never throws for a missing one. Retried a few times:
 * a process killed a moment ago (a daemon, a writer) may still be letting go of its files.
 */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
