import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, unlinkSync } from "node:fs";
import { type ChangeSet, IoError } from "@statehouse/core";
import { DIR_MODE, FILE_MODE, fsyncDir, publishNew, unlinkQuietly, writeNewFile, writeTemp } from "./atomic-file.js";
import { FOLDED_NAME, HISTORY_NAME, type Layout, SEGMENT_NAME, WAL_NAME, bucketName, bucketOf } from "./layout.js";
import { changeSetOf, encodeCommit, encodeHistory, encodeSegment } from "./records.js";
import type { StoreView } from "./store-view.js";

export interface FoldOptions {
  durable: boolean;
  /** Change sets to keep in history/ for changes(). */
  changeRetention: number;
  /** Throws if the write lock was lost meanwhile: a stalled folder must not publish its fold. */
  assertHeld: () => void;
  /** Called between files: a long fold must not look like a hung lock holder. */
  keepAlive: () => void;
}

/**
 * Folds the commits after the last fold point into the data files (run under the write lock).
 * Each touched bucket gets a new version, written twice (the second is its last good copy); then
 * the change sets go to history/ and an empty `<seq>.folded` marker makes the fold count. Only
 * after that are older versions and commit files removed, so a reader in the middle of loading
 * finds either the old state or the new one, never neither. Commit files are kept one fold longer
 * than needed, so readers a little behind catch up without reloading.
 */
export function fold(view: StoreView, layout: Layout, options: FoldOptions): void {
  // Another process may have folded since this view last looked: start from the real fold point.
  view.refreshFolded();
  const to = view.head;
  const from = view.folded;
  if (to <= from) return;
  const touched = new Map<string, Set<number>>();
  const sets: ChangeSet[] = [];
  for (let s = from + 1; s <= to; s++) {
    const commit = view.readCommit(s);
    if (commit === undefined) throw new IoError(`commit ${s} disappeared while folding`);
    sets.push(changeSetOf(commit));
    for (const w of commit.writes) {
      let buckets = touched.get(w.collection);
      if (buckets === undefined) touched.set(w.collection, (buckets = new Set()));
      buckets.add(bucketOf(w.id));
    }
  }

  removeUnfinishedFolds(layout, from);
  for (const [collection, buckets] of touched) {
    if (mkdirSync(layout.collectionDir(collection), { recursive: true, mode: DIR_MODE }) !== undefined && options.durable) {
      fsyncDir(layout.dataDir);
    }
    for (const bucket of buckets) {
      options.keepAlive();
      const state = view.bucketState(collection, bucket);
      const records = [...state.values()]
        .map((e) =>
          e.json !== undefined
            ? { id: e.record.id, rev: e.record.revision, index: e.index, valueText: e.json }
            : { id: e.record.id, rev: e.record.revision, index: e.index, value: e.record.value },
        )
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const buf = encodeSegment(collection, bucket, to, records);
      for (const copy of [false, true]) {
        // A version that exists already was written by an earlier, interrupted fold of the same
        // commits: it holds the same records.
        publishNew(
          writeTemp(layout.segmentFile(collection, bucket, to, copy), buf, options.durable),
          layout.segmentFile(collection, bucket, to, copy),
        );
      }
    }
    if (options.durable) fsyncDir(layout.collectionDir(collection));
  }
  writeNewFile(layout.historyFile(from + 1, to), encodeHistory(sets), options.durable);
  options.assertHeld();
  createMarker(layout.foldedMarker(to));
  if (options.durable) fsyncDir(layout.walDir);
  view.folded = to;
  view.forgetVersions();

  for (const [collection, buckets] of touched) removeOldVersions(layout, collection, buckets, to);
  removeFoldedCommits(layout, from);
  view.forgetCommitsUpTo(from);
  trimHistory(layout, options.changeRetention);
}

function createMarker(path: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    // An earlier, interrupted fold made it already; anything but a regular file is not ours.
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (attempt > 0 || st === undefined || st.isFile()) return;
    unlinkSync(path);
  }
}

/**
 * Files beyond the fold point were left by a fold that crashed before its marker: no reader uses
 * them, and only a lock holder (us) folds, so they can go before they could be mistaken later for
 * a finished fold's output.
 */
function removeUnfinishedFolds(layout: Layout, folded: number): void {
  for (const collection of readdirSync(layout.dataDir)) {
    let names: string[];
    try {
      names = readdirSync(layout.collectionDir(collection));
    } catch {
      continue;
    }
    for (const name of names) {
      const m = SEGMENT_NAME.exec(name);
      if (m !== null && Number(m[2]) > folded) unlinkQuietly(`${layout.collectionDir(collection)}/${name}`);
    }
  }
  for (const name of readdirSync(layout.historyDir)) {
    const m = HISTORY_NAME.exec(name);
    if (m !== null && Number(m[2]) > folded) unlinkQuietly(`${layout.historyDir}/${name}`);
  }
}

function removeOldVersions(layout: Layout, collection: string, buckets: Set<number>, keep: number): void {
  const wanted = new Set([...buckets].map(bucketName));
  for (const name of readdirSync(layout.collectionDir(collection))) {
    const m = SEGMENT_NAME.exec(name);
    if (m === null || !wanted.has(m[1]!) || Number(m[2]) >= keep) continue;
    unlinkQuietly(`${layout.collectionDir(collection)}/${name}`);
  }
}

/** Removes commit files and fold markers up to `upTo`, oldest first (readers rely on that order). */
function removeFoldedCommits(layout: Layout, upTo: number): void {
  const doomed: { seq: number; name: string }[] = [];
  for (const name of readdirSync(layout.walDir)) {
    const m = WAL_NAME.exec(name) ?? FOLDED_NAME.exec(name);
    if (m !== null && Number(m[1]) <= upTo) doomed.push({ seq: Number(m[1]), name });
  }
  doomed.sort((a, b) => a.seq - b.seq);
  for (const d of doomed) unlinkQuietly(`${layout.walDir}/${d.name}`);
}

/**
 * `compact()` under the write lock, after a fold: removes every folded commit file but the fold
 * point's own. A fold keeps the commits it folded until the next one, so that readers a little
 * behind apply them instead of reloading buckets; a compaction is asked to give space back (after
 * a bulk load they are the size of the data itself), so readers behind it reload, as they do after
 * an import. The fold point's commit stays: a reader at the head checks that its file exists.
 */
export function dropFoldedCommits(view: StoreView, layout: Layout): void {
  if (view.folded <= 0) return;
  removeFoldedCommits(layout, view.folded - 1);
  view.forgetCommitsUpTo(view.folded - 1);
}

function trimHistory(layout: Layout, retention: number): void {
  const files = readdirSync(layout.historyDir)
    .map((name) => ({ name, m: HISTORY_NAME.exec(name) }))
    .filter((f) => f.m !== null)
    .map((f) => ({ name: f.name, from: Number(f.m![1]), to: Number(f.m![2]) }))
    .sort((a, b) => b.to - a.to);
  let kept = 0;
  for (const f of files) {
    if (kept >= retention) unlinkQuietly(`${layout.historyDir}/${f.name}`);
    kept += f.to - f.from + 1;
  }
}

/**
 * Retention (run under the write lock): removes the history files whose change sets all have a
 * sequence up to `through`, oldest first, so what is left stays a suffix. Change sets not yet
 * folded live in wal/ as the store's own commits and stay until a fold moves them here. Returns
 * how many change sets went.
 */
export function trimHistoryThrough(layout: Layout, through: number): number {
  const files = readdirSync(layout.historyDir)
    .map((name) => ({ name, m: HISTORY_NAME.exec(name) }))
    .filter((f) => f.m !== null)
    .map((f) => ({ name: f.name, from: Number(f.m![1]), to: Number(f.m![2]) }))
    .sort((a, b) => a.to - b.to);
  let removed = 0;
  for (const f of files) {
    if (f.to > through) break;
    unlinkQuietly(`${layout.historyDir}/${f.name}`);
    removed += f.to - f.from + 1;
  }
  return removed;
}

/**
 * `importChanges` under the write lock: folds every commit (the copy's own) into data/, replaces
 * history/ by `sets` and moves the fold point to the last imported sequence S. wal/ then holds an
 * empty commit S and its fold marker, as after any fold: readers stop at S (no commit S+1) and the
 * next commit, S+1, finds its predecessor's file. The data files keep their older version numbers
 * (a version is used by every fold point at or after it). Nothing walks the sequences between the
 * old head and S, so a huge imported sequence costs no more than a small one.
 */
export function importChangeLog(view: StoreView, layout: Layout, sets: readonly ChangeSet[], options: FoldOptions): void {
  fold(view, layout, options);
  const last = sets[sets.length - 1]!;
  for (const name of readdirSync(layout.historyDir)) {
    if (HISTORY_NAME.test(name)) unlinkQuietly(`${layout.historyDir}/${name}`);
  }
  writeNewFile(layout.historyFile(sets[0]!.sequence, last.sequence), encodeHistory(sets), options.durable);
  if (last.sequence > view.folded) {
    options.assertHeld();
    writeNewFile(layout.walFile(last.sequence), encodeCommit(last.sequence, last.at, []), options.durable);
    createMarker(layout.foldedMarker(last.sequence));
    if (options.durable) fsyncDir(layout.walDir);
    removeFoldedCommits(layout, last.sequence - 1);
  }
}
