import { readdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { TEMP_PATTERN, unlinkQuietly } from "./atomic-file.js";
import type { Layout } from "./layout.js";
import { isGone } from "./process-info.js";
import { TICKET_NAME } from "./wait-queue.js";

const BREAKER_NAME = /^lock\.[0-9a-f]{16}\.break$/;
const OWNER_RECORD = /^(\d+)-(\d*)-[0-9a-f]{16}\.json$/;
const BREAKER_STALE_MS = 10_000;

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Removes temporary files left by writers that crashed. A temporary file's name carries its
 * writer's pid and start time, and only those whose writer is gone are removed: a live writer in
 * another process may be between its write and its rename. Returns the paths removed.
 */
export function sweepTemporaryFiles(layout: Layout): string[] {
  const waiters = join(layout.root, "waiters");
  const owners = join(layout.root, "owners");
  const dirs = [layout.root, layout.walDir, layout.historyDir, layout.quarantineDir, layout.lockDir, waiters, owners];
  for (const c of names(layout.dataDir)) dirs.push(join(layout.dataDir, c));
  const removed: string[] = [];
  for (const dir of dirs) {
    for (const name of names(dir)) {
      const m = TEMP_PATTERN.exec(name) ?? (dir === waiters ? TICKET_NAME.exec(name) : dir === owners ? OWNER_RECORD.exec(name) : null);
      const pid = m === null ? undefined : dir === waiters ? m[2] : m[1];
      const start = m === null ? undefined : dir === waiters ? m[3] : m[2];
      if (pid !== undefined && isGone(Number(pid), start ?? "")) {
        unlinkQuietly(join(dir, name));
        removed.push(join(dir, name));
      } else if (dir === layout.root && BREAKER_NAME.test(name)) {
        try {
          if (Date.now() - statSync(join(dir, name)).mtimeMs > BREAKER_STALE_MS) rmdirSync(join(dir, name));
        } catch {
          // in use or gone
        }
      }
    }
  }
  return removed;
}
