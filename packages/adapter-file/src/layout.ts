import { join } from "node:path";

/**
 * Where everything lives inside a store directory. Record ids never become file names: records
 * are packed into hash buckets, so no id, however hostile, can name a path.
 *
 *   store.json                  format marker
 *   lock/owner                  the write lock (proper-lockfile) and who holds it
 *   wal/<seq>.json              one committed transaction per file, named by its sequence number
 *   wal/<seq>.folded            empty marker: every commit up to seq is folded into data/
 *   data/<collection>/<bucket>-<seq>.json       a bucket's records as of commit seq
 *   data/<collection>/<bucket>-<seq>.copy.json  its identical last good copy
 *   history/<from>-<to>.json    change sets folded out of wal/, kept for changes()
 *   quarantine/                 corrupt files, moved or copied aside
 */
export const BUCKET_COUNT = 64;

export const WAL_NAME = /^(\d{16})\.json$/;
export const FOLDED_NAME = /^(\d{16})\.folded$/;
export const SEGMENT_NAME = /^([0-9a-f]{2})-(\d{16})(\.copy)?\.json$/;
export const HISTORY_NAME = /^(\d{16})-(\d{16})\.json$/;

export function pad(seq: number): string {
  return String(seq).padStart(16, "0");
}

/** FNV-1a over the id's UTF-16 units: stable across processes and versions, cheap. */
export function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKET_COUNT;
}

export function bucketName(bucket: number): string {
  return bucket.toString(16).padStart(2, "0");
}

export class Layout {
  readonly storeFile: string;
  readonly lockDir: string;
  readonly ownerFile: string;
  readonly walDir: string;
  readonly dataDir: string;
  readonly historyDir: string;
  readonly quarantineDir: string;

  constructor(readonly root: string) {
    this.storeFile = join(root, "store.json");
    this.lockDir = join(root, "lock");
    this.ownerFile = join(this.lockDir, "owner");
    this.walDir = join(root, "wal");
    this.dataDir = join(root, "data");
    this.historyDir = join(root, "history");
    this.quarantineDir = join(root, "quarantine");
  }

  // On every read's freshness check: plain concatenation, not path.join.
  walFile(seq: number): string {
    return `${this.walDir}/${pad(seq)}.json`;
  }

  foldedMarker(seq: number): string {
    return join(this.walDir, `${pad(seq)}.folded`);
  }

  collectionDir(collection: string): string {
    return join(this.dataDir, collection);
  }

  segmentFile(collection: string, bucket: number, seq: number, copy: boolean): string {
    return join(this.dataDir, collection, `${bucketName(bucket)}-${pad(seq)}${copy ? ".copy" : ""}.json`);
  }

  historyFile(from: number, to: number): string {
    return join(this.historyDir, `${pad(from)}-${pad(to)}.json`);
  }
}
