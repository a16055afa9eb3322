import { readdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { TEMP_PATTERN, unlinkQuietly } from "./atomic-file.js";
import type { Layout } from "./layout.js";
import { isGone } from "./process-info.js";
import { WAIT_IDLE_NAME as IDLE_NAME, WAIT_TICKET_NAME as TICKET_NAME } from "@statehouse/core/spi";

const BREAKER_NAME = /^lock\.[0-9a-f]{16}\.break$/;
const TEMP = { re: TEMP_PATTERN, pid: 1, start: 2 };
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
  // Per directory: the names that carry a writer's pid and start time, and where.
  const rules: [string, { re: RegExp; pid: number; start: number }[]][] = [
    [layout.root, [TEMP]],
    [layout.walDir, [TEMP]],
    [layout.historyDir, [TEMP]],
    [layout.quarantineDir, [TEMP]],
    [
      waiters,
      [
        { re: TICKET_NAME, pid: 2, start: 3 },
        { re: IDLE_NAME, pid: 1, start: 2 },
      ],
    ],
    [owners, [{ re: OWNER_RECORD, pid: 1, start: 2 }]],
  ];
  for (const c of names(layout.dataDir)) rules.push([join(layout.dataDir, c), [TEMP]]);
  const removed: string[] = [];
  for (const [dir, patterns] of rules) {
    for (const name of names(dir)) {
      for (const { re, pid, start } of patterns) {
        const m = re.exec(name);
        if (m === null) continue;
        if (isGone(Number(m[pid]), m[start] ?? "")) {
          unlinkQuietly(join(dir, name));
          removed.push(join(dir, name));
        }
        break;
      }
      if (dir === layout.root && BREAKER_NAME.test(name)) {
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
