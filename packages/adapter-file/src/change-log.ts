import { readdirSync } from "node:fs";
import type { ChangeSet } from "@statehouse/core";
import { readFileNoFollow } from "./atomic-file.js";
import { FrameError } from "./framed.js";
import { HISTORY_NAME, type Layout } from "./layout.js";
import { mapEngineError } from "./map-engine-error.js";
import { copyToQuarantine, corruptError } from "./quarantine.js";
import { changeSetOf, decodeHistory } from "./records.js";
import type { StoreView } from "./store-view.js";

// The file adapter's change log: commits not yet folded are read from wal/ (one file per
// committed transaction, named by its sequence number); a fold moves their change sets into
// history/ files, trimmed to the retention by the fold (fold.ts). `changes()` reads both.

/**
 * At most `limit` change sets after `since`, oldest first: from history/ below the fold point,
 * then from the commit files. A fold running meanwhile can remove a commit file between the two
 * reads; the read then starts over (at most 10 times, then returns what it has).
 */
export function readChanges(view: StoreView, layout: Layout, since: number, limit: number): ChangeSet[] {
  for (let attempt = 0; ; attempt++) {
    view.refresh();
    view.refreshFolded();
    const out: ChangeSet[] = [];
    if (since < view.folded) {
      out.push(
        ...readHistory(
          layout,
          since,
          limit,
          (file) => readQuiet(file),
          (file, buf, err) => {
            throw corruptError(file, copyToQuarantine(layout, file, buf), err.message, false);
          },
        ).filter((s) => s.sequence <= view.folded),
      );
    }
    let complete = true;
    for (let s = Math.max(since, view.folded) + 1; s <= view.head && out.length < limit; s++) {
      const commit = view.readCommit(s);
      if (commit === undefined) {
        complete = false;
        break;
      }
      out.push(changeSetOf(commit));
    }
    if (complete || attempt >= 10) return out;
  }
}

function readQuiet(file: string): Buffer | undefined {
  try {
    return readFileNoFollow(file);
  } catch (err) {
    throw mapEngineError(err, `reading ${file}`);
  }
}

/** Change sets with a sequence greater than `since` from history/, oldest first. */
export function readHistory(
  layout: Layout,
  since: number,
  limit: number,
  read: (file: string) => Buffer | undefined,
  onCorrupt: (file: string, buf: Buffer, err: FrameError) => never,
): ChangeSet[] {
  let names: string[] = [];
  try {
    names = readdirSync(layout.historyDir);
  } catch {
    return [];
  }
  const files = names
    .map((name) => ({ name, m: HISTORY_NAME.exec(name) }))
    .filter((f) => f.m !== null && Number(f.m[2]) > since)
    .map((f) => ({ name: f.name, from: Number(f.m![1]) }))
    .sort((a, b) => a.from - b.from);
  const out: ChangeSet[] = [];
  for (const f of files) {
    const buf = read(`${layout.historyDir}/${f.name}`);
    if (buf === undefined) continue;
    let sets: ChangeSet[];
    try {
      sets = decodeHistory(buf);
    } catch (err) {
      if (err instanceof FrameError) onCorrupt(`${layout.historyDir}/${f.name}`, buf, err);
      throw err;
    }
    for (const set of sets) {
      if (set.sequence <= since || (out.length > 0 && set.sequence <= out[out.length - 1]!.sequence)) continue;
      out.push(set);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
