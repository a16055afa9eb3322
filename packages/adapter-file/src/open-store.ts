import { mkdirSync, readdirSync } from "node:fs";
import { DIR_MODE, fsyncDir, makeDir, readFileNoFollow, writeNewFile } from "./atomic-file.js";
import { FrameError } from "./framed.js";
import { FOLDED_NAME, type Layout, WAL_NAME } from "./layout.js";
import { mapEngineError } from "./map-engine-error.js";
import { corruptError, moveToQuarantine } from "./quarantine.js";
import { decodeStoreFile, encodeCommit, encodeStoreFile } from "./records.js";

/**
 * Creates the store's directories and first files if missing (idempotent, safe when several
 * processes open a new store at once: every first file is published without replacing).
 */
export function initStore(layout: Layout, durable: boolean): void {
  try {
    makeDir(layout.root, durable);
    let created = false;
    for (const dir of [layout.walDir, layout.dataDir, layout.historyDir]) {
      try {
        mkdirSync(dir, { mode: DIR_MODE });
        created = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    if (created && durable) fsyncDir(layout.root);
  } catch (err) {
    throw mapEngineError(err, `creating the store directory ${layout.root}`);
  }
  let marker: Buffer | undefined;
  try {
    marker = readFileNoFollow(layout.storeFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ELOOP") throw mapEngineError(err, `reading ${layout.storeFile}`);
    marker = Buffer.alloc(0);
  }
  let corrupt: { quarantined: string; problem: string } | undefined;
  if (marker !== undefined) {
    try {
      decodeStoreFile(marker);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      corrupt = { quarantined: moveToQuarantine(layout, layout.storeFile, marker), problem: err.message };
      marker = undefined;
    }
  }
  try {
    if (marker === undefined) writeNewFile(layout.storeFile, encodeStoreFile(), durable);
    const names = readdirSync(layout.walDir);
    // Commit 0 is an empty genesis commit: readers always have a commit file to anchor on.
    if (!names.some((n) => WAL_NAME.test(n) || FOLDED_NAME.test(n))) {
      writeNewFile(layout.walFile(0), encodeCommit(0, new Date().toISOString(), []), durable);
    }
  } catch (err) {
    throw mapEngineError(err, `initialising the store ${layout.root}`);
  }
  // The marker holds no data: it is rewritten, and the caller still hears about the corruption.
  if (corrupt !== undefined) throw corruptError(layout.storeFile, corrupt.quarantined, corrupt.problem, true);
}
