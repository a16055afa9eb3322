import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { CorruptError } from "@statehouse/core";
import { verifyEnvironmentFile } from "./verify.js";

const MDB_MAGIC = 0xbeefc0de;
/** lmdb-js's LMDB page header is 24 bytes (page number, txn id, pad, flags, bounds). */
const PAGE_HEADER = 24;
/** Offsets inside MDB_meta, after the page header. */
const META_MAGIC = 0;
const META_VERSION = 4;
const META_PSIZE = 24; // mm_dbs[FREE_DBI].md_pad holds the page size
const META_LAST_PG = 120;
const META_TXNID = 128;

export interface EnvHeader {
  readonly pageSize: number;
  readonly lastPage: number;
  readonly txnId: number;
  readonly fileSize: number;
}

function corrupt(file: string, why: string): CorruptError {
  return new CorruptError(`corrupt store: ${file}: ${why}`, { details: { file } });
}

/**
 * Checks data.mdb before LMDB maps it. LMDB trusts its file: a truncated file makes reads fault
 * with SIGBUS (the map reaches past the end of the file), and an empty file is silently
 * initialised as a new, empty environment. Both must be a CorruptError instead.
 *
 * Returns undefined when the file does not exist (a new store).
 */
export function checkEnvHeader(file: string, initialised: boolean): EnvHeader | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      if (initialised) throw corrupt(file, "the data file is missing, but the store was initialised");
      return undefined;
    }
    throw err;
  }
  if (size === 0) {
    if (initialised) throw corrupt(file, "the data file is empty, but the store was initialised");
    return undefined;
  }
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(PAGE_HEADER + 160);
    if (readSync(fd, head, 0, head.length, 0) < head.length) throw corrupt(file, `${size} bytes is too short for an LMDB file`);
    const pageSize = head.readUInt32LE(PAGE_HEADER + META_PSIZE);
    if (head.readUInt32LE(PAGE_HEADER + META_MAGIC) !== MDB_MAGIC) throw corrupt(file, "bad LMDB magic in meta page 0");
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(file, `implausible page size ${pageSize}`);
    if (size < 2 * pageSize) throw corrupt(file, `${size} bytes is shorter than the two meta pages`);
    let lastPage = 0;
    let txnId = 0;
    for (let m = 0; m < 2; m++) {
      const meta = Buffer.alloc(160);
      readSync(fd, meta, 0, meta.length, m * pageSize + PAGE_HEADER);
      if (meta.readUInt32LE(META_MAGIC) !== MDB_MAGIC) throw corrupt(file, `bad LMDB magic in meta page ${m}`);
      const version = meta.readUInt32LE(META_VERSION);
      if (version < 1 || version > 2) throw corrupt(file, `unknown LMDB data version ${version} in meta page ${m}`);
      const last = Number(meta.readBigUInt64LE(META_LAST_PG));
      const txn = Number(meta.readBigUInt64LE(META_TXNID));
      if (!Number.isSafeInteger(last) || !Number.isSafeInteger(txn)) throw corrupt(file, `implausible meta page ${m}`);
      lastPage = Math.max(lastPage, last);
      txnId = Math.max(txnId, txn);
    }
    // With overlappingSync, lmdb-js keeps a third, "flushed" meta in the second half of page 0.
    const sync = Buffer.alloc(160);
    readSync(fd, sync, 0, sync.length, pageSize / 2 + PAGE_HEADER);
    if (sync.readUInt32LE(META_MAGIC) === MDB_MAGIC) {
      const last = Number(sync.readBigUInt64LE(META_LAST_PG));
      if (Number.isSafeInteger(last)) lastPage = Math.max(lastPage, last);
    }
    // LMDB never shrinks its file, so a file that ends before the meta's last page was usually cut.
    // Not always: LMDB does not write pages a transaction allocated and freed again, so the
    // highest pages can be free and unwritten. Then the trees are walked: only a page they reach
    // past the end is truncation (LMDB would fault with SIGBUS reading it). The caller holds the
    // store's process mutex, so no commit is extending the file meanwhile.
    size = fstatSync(fd).size;
    if ((lastPage + 1) * pageSize > size) {
      const problems = verifyEnvironmentFile(file);
      if (problems.length > 0) {
        throw corrupt(
          file,
          `truncated or damaged: the meta pages reach page ${lastPage}, the file has ${Math.floor(size / pageSize)} pages; ${problems.slice(0, 3).join("; ")}`,
        );
      }
    }
    return { pageSize, lastPage, txnId, fileSize: size };
  } finally {
    closeSync(fd);
  }
}
