import { existsSync, readdirSync } from "node:fs";
import { type IndexKeys, IoError, type JsonValue, type StoredRecord, deepFreeze } from "@statehouse/core";
import { SortedIndex } from "@statehouse/core/spi";
import { readFileNoFollow, writeNewFile } from "./atomic-file.js";
import { FrameError } from "./framed.js";
import { BUCKET_COUNT, FOLDED_NAME, type Layout, SEGMENT_NAME, WAL_NAME, bucketOf } from "./layout.js";
import { mapEngineError } from "./map-engine-error.js";
import { copyToQuarantine, corruptError, moveToQuarantine } from "./quarantine.js";
import { type Commit, type SegmentLine, decodeCommit, decodeSegment } from "./records.js";

export interface Entry {
  readonly record: StoredRecord;
  readonly index: IndexKeys;
  /** The value's JSON text, when the record came from a segment (a fold writes it back as is). */
  readonly json?: string;
}

/**
 * A record whose value is parsed (and deep-frozen) on first access: listing a collection reads
 * every record's id and index keys, but only the values of the page it returns.
 */
function lazyRecord(collection: string, id: string, revision: number, text: string): StoredRecord {
  const record = { collection, id, revision } as { collection: string; id: string; revision: number; value: JsonValue };
  Object.defineProperty(record, "value", {
    enumerable: true,
    configurable: true,
    get(): JsonValue {
      const value = deepFreeze(JSON.parse(text) as JsonValue);
      Object.defineProperty(record, "value", { value, enumerable: true, writable: false, configurable: false });
      return value;
    },
  });
  return record;
}

export const BY_ID = "\u0000id";

/** What this process knows of one collection: the buckets it has loaded, and indexes once all are. */
export class CollectionView {
  readonly buckets = new Map<number, Map<string, Entry>>();
  indexes: Map<string, SortedIndex> | undefined;

  index(name: string): SortedIndex {
    let idx = this.indexes!.get(name);
    if (idx === undefined) {
      idx = new SortedIndex();
      this.indexes!.set(name, idx);
    }
    return idx;
  }

  record(id: string): StoredRecord | undefined {
    return this.buckets.get(bucketOf(id))?.get(id)?.record;
  }
}

// Commits are re-read when a bucket is loaded after them; small ones are kept parsed.
const COMMIT_CACHE_BYTES = 16 * 1024 * 1024;
const COMMIT_CACHE_ONE = 1024 * 1024;
const MAX_RESTARTS = 50;

/**
 * One process's view of the store: the latest commit it has applied (`head`), the buckets it has
 * loaded, frozen and parsed, and their indexes. Keeping it fresh costs two stat calls when nothing
 * changed: no newer commit file, and the file of `head` still there (a fold removed it otherwise).
 * Commit files appear whole (link of a complete temporary file), so a view never holds half a
 * transaction.
 */
export class StoreView {
  head = 0;
  /** Every commit up to this one is folded into data/ (the newest `.folded` marker). */
  folded = 0;
  readonly collections = new Map<string, CollectionView>();
  // Each listing is tagged with the fold point read around it: a listing is only trusted with the
  // fold point it was taken under (a newer fold may already have removed what an older point needs).
  private versions = new Map<string, { folded: number; list: Map<number, number[]> }>();
  private commits = new Map<number, { commit: Commit; bytes: number }>();
  private commitBytes = 0;
  private cachedRecords = 0;

  constructor(
    private readonly layout: Layout,
    private readonly durable: boolean,
    private readonly cacheRecords = 200_000,
  ) {}

  /** Brings the view up to the latest commit on disk. */
  refresh(): void {
    for (;;) {
      const next = this.head + 1;
      if (!existsSync(this.layout.walFile(next))) {
        if (existsSync(this.layout.walFile(this.head))) return;
        this.reload();
        return;
      }
      const commit = this.readCommit(next);
      // The file of `head` must still exist after reading its successor: if a fold removed it,
      // what we read may be a stale writer's leftover, and the view must be rebuilt from data/.
      if (commit === undefined || !existsSync(this.layout.walFile(this.head))) {
        this.reload();
        return;
      }
      this.apply(commit);
      this.head = next;
    }
  }

  /** Forgets everything cached and starts again from the directory listing. */
  reload(): void {
    let head = 0;
    let folded = 0;
    for (const name of this.walNames(true)) {
      const w = WAL_NAME.exec(name);
      if (w !== null) head = Math.max(head, Number(w[1]));
      const f = FOLDED_NAME.exec(name);
      if (f !== null) folded = Math.max(folded, Number(f[1]));
    }
    this.head = Math.max(head, folded);
    this.folded = folded;
    this.collections.clear();
    this.cachedRecords = 0;
    this.versions.clear();
    this.commits.clear();
    this.commitBytes = 0;
  }

  /** Names in wal/; only regular files when `files` (a symlink planted at a commit's name is no commit). */
  private walNames(files = false): string[] {
    try {
      if (!files) return readdirSync(this.layout.walDir);
      return readdirSync(this.layout.walDir, { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name);
    } catch (err) {
      throw mapEngineError(err, `listing ${this.layout.walDir}`);
    }
  }

  private readFolded(): number {
    let folded = 0;
    for (const name of this.walNames(true)) {
      const f = FOLDED_NAME.exec(name);
      if (f !== null) folded = Math.max(folded, Number(f[1]));
    }
    return folded;
  }

  /** Re-reads the fold point (another process's fold moved it) and catches up with commits. */
  refreshFolded(): void {
    this.setFolded(this.readFolded());
  }

  private setFolded(folded: number): void {
    if (folded !== this.folded) {
      this.folded = folded;
      this.versions.clear();
    }
    if (this.folded > this.head) this.refresh();
  }

  collection(name: string): CollectionView {
    let c = this.collections.get(name);
    if (c === undefined) {
      c = new CollectionView();
      this.collections.set(name, c);
    }
    return c;
  }

  get(collection: string, id: string): StoredRecord | undefined {
    return this.bucketState(collection, bucketOf(id)).get(id)?.record;
  }

  /** The whole collection with its indexes (listing and counting need every record's keys). */
  full(collection: string): CollectionView {
    let c = this.collection(collection);
    if (c.indexes !== undefined) return c;
    for (let b = 0; b < BUCKET_COUNT; b++) {
      if (!c.buckets.has(b)) c.buckets.set(b, this.loadBucket(collection, b));
      // A load that had to reload the view left `c` behind: start over on the new one.
      if (this.collections.get(collection) !== c) {
        c = this.collection(collection);
        b = -1;
      }
    }
    const byName = new Map<string, { key: string; id: string }[]>();
    byName.set(BY_ID, []);
    for (const bucket of c.buckets.values()) {
      for (const [id, e] of bucket) {
        byName.get(BY_ID)!.push({ key: id, id });
        for (const [name, key] of Object.entries(e.index)) {
          let list = byName.get(name);
          if (list === undefined) byName.set(name, (list = []));
          list.push({ key, id });
        }
      }
    }
    c.indexes = new Map();
    for (const [name, list] of byName) c.indexes.set(name, SortedIndex.build(list));
    return c;
  }

  /** The bucket's records as of `head`: its newest folded version, then the commits after the fold. */
  bucketState(collection: string, bucket: number): Map<string, Entry> {
    for (;;) {
      const c = this.collection(collection);
      const state = c.buckets.get(bucket);
      if (state !== undefined) return state;
      const loaded = this.loadBucket(collection, bucket);
      // Kept only if the view was not reloaded meanwhile (then `c` is no longer part of it).
      if (this.collections.get(collection) === c) {
        this.makeRoom(loaded.size);
        c.buckets.set(bucket, loaded);
        return loaded;
      }
    }
  }

  /**
   * Bounds what a long-lived process keeps: past `cacheRecords` loaded records, the buckets of
   * collections that are not fully indexed are dropped (they load again when next needed; a
   * listed collection keeps everything, its indexes need it).
   */
  private makeRoom(incoming: number): void {
    this.cachedRecords += incoming;
    if (this.cachedRecords <= this.cacheRecords) return;
    let kept = 0;
    for (const c of this.collections.values()) {
      if (c.indexes === undefined) c.buckets.clear();
      else for (const b of c.buckets.values()) kept += b.size;
    }
    this.cachedRecords = kept + incoming;
  }

  private loadBucket(collection: string, bucket: number): Map<string, Entry> {
    for (let attempt = 0; attempt < MAX_RESTARTS; attempt++) {
      // A retry means a concurrent fold moved things: list again, under a fresh fold point.
      if (attempt > 0) this.versions.delete(collection);
      const versions = this.versionsOf(collection);
      const folded = this.folded;
      const version = versions.get(bucket)?.find((v) => v <= folded);
      const state = new Map<string, Entry>();
      if (version !== undefined) {
        const records = this.readSegment(collection, bucket, version);
        if (records === undefined) continue;
        for (const r of records) {
          state.set(r.id, { record: lazyRecord(collection, r.id, r.rev, r.valueText), index: r.index, json: r.valueText });
        }
      }
      // Commits up to the fold point are in the version (or did not touch this bucket); the ones
      // after it must all be there, or a fold removed them meanwhile.
      let complete = true;
      for (let s = folded + 1; s <= this.head; s++) {
        const commit = this.readCommit(s);
        if (commit === undefined) {
          complete = false;
          break;
        }
        for (const w of commit.writes) {
          if (w.collection !== collection || bucketOf(w.id) !== bucket) continue;
          if (w.op === "put") {
            state.set(w.id, { record: { collection, id: w.id, revision: w.rev, value: w.value as JsonValue }, index: w.index });
          } else {
            state.delete(w.id);
          }
        }
      }
      if (complete && folded === this.folded) return state;
    }
    throw new IoError(`the store kept changing while loading ${collection} bucket ${bucket}; retry`);
  }

  /**
   * Version numbers of each bucket's segment files, newest first, listed between two reads of the
   * fold point that agree (so the listing and `folded` belong together); updates `folded`.
   */
  versionsOf(collection: string): Map<number, number[]> {
    const cached = this.versions.get(collection);
    if (cached !== undefined && cached.folded === this.folded) return cached.list;
    for (let attempt = 0; attempt < MAX_RESTARTS; attempt++) {
      const before = this.readFolded();
      const list = this.listVersions(collection);
      const after = this.readFolded();
      if (before !== after) continue;
      this.setFolded(after);
      this.versions.set(collection, { folded: after, list });
      return list;
    }
    throw new IoError(`the store kept changing while listing ${collection}; retry`);
  }

  private listVersions(collection: string): Map<number, number[]> {
    const v = new Map<number, number[]>();
    let names: string[] = [];
    try {
      names = readdirSync(this.layout.collectionDir(collection), { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw mapEngineError(err, `listing ${collection}`);
    }
    for (const name of names) {
      const m = SEGMENT_NAME.exec(name);
      if (m === null || m[3] !== undefined) continue;
      const b = Number.parseInt(m[1]!, 16);
      let list = v.get(b);
      if (list === undefined) v.set(b, (list = []));
      list.push(Number(m[2]));
    }
    for (const list of v.values()) list.sort((a, b) => b - a);
    return v;
  }

  forgetVersions(collection?: string): void {
    if (collection === undefined) this.versions.clear();
    else this.versions.delete(collection);
  }

  /**
   * Reads a segment version; undefined if a concurrent fold removed it. A corrupt primary is
   * quarantined and restored from its copy, and the caller still hears about it (E_CORRUPT).
   */
  private readSegment(collection: string, bucket: number, version: number): SegmentLine[] | undefined {
    const primary = this.layout.segmentFile(collection, bucket, version, false);
    const buf = this.readData(primary);
    if (buf === undefined) {
      this.versions.delete(collection);
      return undefined;
    }
    try {
      return decodeSegment(buf, collection, bucket, version);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      const copy = this.layout.segmentFile(collection, bucket, version, true);
      const copyBuf = this.readData(copy);
      let good = false;
      if (copyBuf !== undefined) {
        try {
          decodeSegment(copyBuf, collection, bucket, version);
          good = true;
        } catch {
          // both copies are bad
        }
      }
      if (good) {
        const quarantined = moveToQuarantine(this.layout, primary, buf);
        try {
          writeNewFile(primary, copyBuf!, this.durable);
        } catch (writeErr) {
          throw mapEngineError(writeErr, `restoring ${primary} from ${copy}`);
        }
        throw corruptError(primary, quarantined, err.message, true, { restoredFrom: copy });
      }
      const quarantined = copyToQuarantine(this.layout, primary, buf);
      throw corruptError(primary, quarantined, err.message, false, { collection, bucket });
    }
  }

  /** A data file's bytes; a symlink planted at its name reads as corrupt, not as its target. */
  private readData(path: string): Buffer | undefined {
    try {
      return readFileNoFollow(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ELOOP") return Buffer.alloc(0);
      throw mapEngineError(err, `reading ${path}`);
    }
  }

  /** A commit by sequence number; undefined when there is no (regular) file for it. */
  readCommit(seq: number): Commit | undefined {
    const cached = this.commits.get(seq);
    if (cached !== undefined) return cached.commit;
    const file = this.layout.walFile(seq);
    let buf: Buffer | undefined;
    try {
      buf = readFileNoFollow(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ELOOP") return undefined;
      throw mapEngineError(err, `reading ${file}`);
    }
    if (buf === undefined) return undefined;
    let commit: Commit;
    try {
      commit = decodeCommit(buf, seq);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      const quarantined = copyToQuarantine(this.layout, file, buf);
      throw corruptError(file, quarantined, err.message, false, { sequence: seq });
    }
    this.remember(commit, buf.length);
    return commit;
  }

  remember(commit: Commit, bytes: number): void {
    if (bytes > COMMIT_CACHE_ONE) return;
    this.commits.set(commit.seq, { commit, bytes });
    this.commitBytes += bytes;
    for (const [seq, c] of this.commits) {
      if (this.commitBytes <= COMMIT_CACHE_BYTES) break;
      this.commits.delete(seq);
      this.commitBytes -= c.bytes;
    }
  }

  forgetCommitsUpTo(seq: number): void {
    for (const [s, c] of this.commits) {
      if (s > seq) continue;
      this.commits.delete(s);
      this.commitBytes -= c.bytes;
    }
  }

  /** Applies a commit to what is loaded; buckets not loaded will read it from disk when they are. */
  apply(commit: Commit): void {
    for (const w of commit.writes) {
      const c = this.collections.get(w.collection);
      if (c === undefined) continue;
      const bucket = c.buckets.get(bucketOf(w.id));
      if (bucket === undefined) continue;
      const old = bucket.get(w.id);
      if (c.indexes !== undefined && old !== undefined) {
        c.index(BY_ID).remove(w.id, w.id);
        for (const [name, key] of Object.entries(old.index)) c.index(name).remove(key, w.id);
      }
      if (w.op === "put") {
        bucket.set(w.id, {
          record: { collection: w.collection, id: w.id, revision: w.rev, value: w.value as JsonValue },
          index: w.index,
        });
        if (c.indexes !== undefined) {
          c.index(BY_ID).insert(w.id, w.id);
          for (const [name, key] of Object.entries(w.index)) c.index(name).insert(key, w.id);
        }
      } else {
        bucket.delete(w.id);
      }
    }
  }
}
