import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";

/**
 * A structural check of an LMDB data file, done in JavaScript on the file's bytes. LMDB trusts
 * its pages: a zeroed or scrambled page makes it fail an assertion (SIGABRT) or fault (SIGSEGV)
 * in the middle of a read, which no error handler can catch. Walking every B-tree here first
 * turns the same damage into a list of problems.
 *
 * Layout (lmdb-js's LMDB): a page starts with a 24-byte header (page number, txn id, pad,
 * flags, lower/upper bounds or the overflow page count); node pointers follow; nodes are
 * (lo, hi, flags, key size) u16s, then the key, then the data.
 *
 * The caller must hold a read transaction while this runs, so that no page reachable from the
 * newest meta page is reused under it.
 */
const HDR = 24;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const MDB_MAGIC = 0xbeefc0de;
const MAX_PROBLEMS = 20;
const MAX_DEPTH = 64;

interface Db {
  depth: number;
  entries: number;
  root: number;
}

/** The few reads the walk makes; a Buffer for files read whole, a page cache over the file otherwise. */
interface Bytes {
  readonly length: number;
  readUInt16LE(offset: number): number;
  readUInt32LE(offset: number): number;
  readBigUInt64LE(offset: number): bigint;
  readBigInt64LE(offset: number): bigint;
  subarray(start: number, end: number): Buffer;
}

/** Files above this size are read page by page instead of whole. */
const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;

class FileBytes implements Bytes {
  private readonly cache = new Map<number, Buffer>();

  constructor(
    private readonly fd: number,
    readonly length: number,
  ) {}

  private chunk(n: number): Buffer {
    let c = this.cache.get(n);
    if (c === undefined) {
      c = Buffer.alloc(Math.min(CHUNK, this.length - n * CHUNK));
      readSync(this.fd, c, 0, c.length, n * CHUNK);
      if (this.cache.size >= 256) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(n, c);
    }
    return c;
  }

  subarray(start: number, end: number): Buffer {
    const n = Math.floor(start / CHUNK);
    if (Math.floor((end - 1) / CHUNK) === n) return this.chunk(n).subarray(start - n * CHUNK, end - n * CHUNK);
    const out = Buffer.alloc(Math.max(0, Math.min(end, this.length) - start));
    readSync(this.fd, out, 0, out.length, start);
    return out;
  }

  readUInt16LE(o: number): number {
    return this.subarray(o, o + 2).readUInt16LE(0);
  }
  readUInt32LE(o: number): number {
    return this.subarray(o, o + 4).readUInt32LE(0);
  }
  readBigUInt64LE(o: number): bigint {
    return this.subarray(o, o + 8).readBigUInt64LE(0);
  }
  readBigInt64LE(o: number): bigint {
    return this.subarray(o, o + 8).readBigInt64LE(0);
  }
}

function readDb(b: Bytes, at: number): Db {
  return { depth: b.readUInt16LE(at + 6), entries: Number(b.readBigUInt64LE(at + 32)), root: Number(b.readBigUInt64LE(at + 40)) };
}

/**
 * Verifies data.mdb's page structure; returns the problems found (empty when sound). Files up
 * to `wholeFileLimit` bytes (default 256 MiB) are read whole, larger ones in 64 KiB chunks.
 */
export function verifyEnvironmentFile(file: string, options: { wholeFileLimit?: number } = {}): string[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    return [`${file}: cannot be read: ${(err as Error).message}`];
  }
  try {
    // The meta pages are read before the size is taken: LMDB writes a transaction's pages before
    // the meta page naming them, so every page these metas reach is inside that size. Reading the
    // metas after the rest could pick one that a concurrent commit wrote past the bytes read.
    const head = Buffer.alloc(2 * 65536);
    const headBytes = readSync(fd, head, 0, head.length, 0);
    const size = fstatSync(fd).size;
    const whole = size <= (options.wholeFileLimit ?? WHOLE_FILE_LIMIT);
    return verifyEnvironmentBytes(whole ? readFileSync(fd) : new FileBytes(fd, size), file, head.subarray(0, headBytes));
  } catch (err) {
    return [`${file}: cannot be read: ${(err as Error).message}`];
  } finally {
    closeSync(fd);
  }
}

/** `metas`, when given, holds the start of the file as read before `data`: its meta pages are used. */
export function verifyEnvironmentBytes(data: Bytes, file: string, metas?: Buffer): string[] {
  const problems: string[] = [];
  const problem = (s: string): false => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${file}: ${s}`);
    return false;
  };
  if (data.length < 2 * 512) return [`${file}: too short (${data.length} bytes)`];
  const psize = data.readUInt32LE(HDR + 24);
  if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0 || data.length < 2 * psize)
    return [`${file}: implausible page size ${psize}`];
  // The newest valid meta page is the one LMDB uses.
  let best: { txn: number; last: number; free: Db; main: Db } | undefined;
  for (let m = 0; m < 2; m++) {
    const base = m * psize + HDR;
    const meta: Bytes = metas !== undefined && metas.length >= (m + 1) * psize ? metas : data;
    if (meta.readUInt32LE(base) !== MDB_MAGIC) {
      problem(`meta page ${m} has no LMDB magic`);
      continue;
    }
    const txn = Number(meta.readBigUInt64LE(base + 128));
    const last = Number(meta.readBigUInt64LE(base + 120));
    if (best === undefined || txn > best.txn) best = { txn, last, free: readDb(meta, base + 24), main: readDb(meta, base + 72) };
  }
  if (best === undefined) return problems;
  // The file may end before the meta's last page: LMDB does not write pages that a transaction
  // allocated and freed again ("loose" pages), so the highest page numbers can be free and never
  // written. Only a page the trees reach past the end of the file is damage (truncation).
  const pages = Math.floor(data.length / psize);
  const last = best.last;
  const present = (pgno: number, count = 1): boolean => pgno + count <= pages;
  const seen = new Uint8Array(last + 1);

  const walk = (db: Db, name: string, ordered: boolean, onLeaf: (key: Buffer, value: Buffer, flags: number) => unknown): void => {
    if (db.root >= Number.MAX_SAFE_INTEGER || db.depth === 0) {
      if (db.entries !== 0) problem(`${name}: empty tree with ${db.entries} entries`);
      return;
    }
    let entries = 0;
    let previous: Buffer | undefined;
    const visit = (pgno: number, level: number): unknown => {
      if (problems.length >= MAX_PROBLEMS) return;
      // LMDB trees are a few levels deep; a damaged depth must not drive the recursion.
      if (level > MAX_DEPTH) return problem(`${name}: tree deeper than ${MAX_DEPTH} levels`);
      if (!Number.isSafeInteger(pgno) || pgno < 2 || pgno > last) return problem(`${name}: page number ${pgno} out of range`);
      if (seen[pgno] === 1) return problem(`${name}: page ${pgno} is reached twice`);
      seen[pgno] = 1;
      if (!present(pgno)) return problem(`${name}: page ${pgno} is past the end of the file (${pages} pages): truncated`);
      const p = pgno * psize;
      if (Number(data.readBigUInt64LE(p)) !== pgno)
        return problem(`${name}: page ${pgno} says it is page ${Number(data.readBigUInt64LE(p))}`);
      const flags = data.readUInt16LE(p + 18);
      const lower = data.readUInt16LE(p + 20);
      const upper = data.readUInt16LE(p + 22);
      const isLeaf = level === db.depth;
      if ((flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META)) !== (isLeaf ? P_LEAF : P_BRANCH)) {
        return problem(`${name}: page ${pgno} has flags ${flags.toString(16)}, expected a ${isLeaf ? "leaf" : "branch"} page`);
      }
      if (lower % 2 !== 0 || lower > upper || upper > psize - HDR) return problem(`${name}: page ${pgno} has bounds ${lower}/${upper}`);
      const n = lower >> 1;
      if (n === 0 && !(isLeaf && level === 1)) return problem(`${name}: page ${pgno} is empty`);
      for (let i = 0; i < n; i++) {
        const off = data.readUInt16LE(p + HDR + 2 * i);
        if (off < upper || off + 8 > psize - HDR) return problem(`${name}: page ${pgno} node ${i} at ${off} is outside the page`);
        const node = p + HDR + off;
        const lo = data.readUInt16LE(node);
        const hi = data.readUInt16LE(node + 2);
        const nflags = data.readUInt16LE(node + 4);
        const ksize = data.readUInt16LE(node + 6);
        const keyEnd = off + 8 + ksize;
        if (keyEnd > psize - HDR) return problem(`${name}: page ${pgno} node ${i} key runs past the page`);
        const key = data.subarray(node + 8, node + 8 + ksize);
        if (!isLeaf) {
          const child = lo + hi * 0x10000 + nflags * 0x100000000;
          // The first key of a branch page is empty by LMDB's design.
          if (i > 0 && ordered && previous !== undefined && Buffer.compare(key, previous) < 0)
            problem(`${name}: keys out of order on page ${pgno}`);
          visit(child, level + 1);
          continue;
        }
        const dsize = lo + hi * 0x10000;
        if ((nflags & ~(F_BIGDATA | F_SUBDATA)) !== 0 || (nflags & F_DUPDATA) !== 0)
          return problem(`${name}: page ${pgno} node ${i} has flags ${nflags}`);
        let value: Buffer;
        if (nflags & F_BIGDATA) {
          if (keyEnd + 8 > psize - HDR) return problem(`${name}: page ${pgno} node ${i} overflow pointer runs past the page`);
          const ov = Number(data.readBigUInt64LE(node + 8 + ksize));
          const need = Math.ceil((dsize + HDR) / psize);
          if (!Number.isSafeInteger(ov) || ov < 2 || ov + need - 1 > last) return problem(`${name}: overflow page ${ov} out of range`);
          if (!present(ov, need))
            return problem(`${name}: overflow pages ${ov}–${ov + need - 1} run past the end of the file (${pages} pages): truncated`);
          const q = ov * psize;
          if (
            Number(data.readBigUInt64LE(q)) !== ov ||
            (data.readUInt16LE(q + 18) & P_OVERFLOW) === 0 ||
            data.readUInt32LE(q + 20) < need
          ) {
            return problem(`${name}: overflow page ${ov} is not the overflow page of ${need} pages it should be`);
          }
          for (let k = 0; k < need; k++) {
            if (seen[ov + k] === 1) return problem(`${name}: overflow page ${ov + k} is reached twice`);
            seen[ov + k] = 1;
          }
          value = data.subarray(q + HDR, q + HDR + dsize);
        } else {
          if (keyEnd + dsize > psize - HDR) return problem(`${name}: page ${pgno} node ${i} data runs past the page`);
          value = data.subarray(node + 8 + ksize, node + 8 + ksize + dsize);
        }
        if (ordered && previous !== undefined && Buffer.compare(key, previous) <= 0) problem(`${name}: keys out of order on page ${pgno}`);
        previous = key;
        entries++;
        onLeaf(key, value, nflags);
      }
    };
    visit(db.root, 1);
    if (problems.length === 0 && entries !== db.entries) problem(`${name}: ${entries} entries found, the tree header says ${db.entries}`);
  };

  walk(best.free, "free list", false, (key, value) => {
    // A free-list entry is an IDL: a count, then page numbers; lmdb-js's LMDB also stores runs
    // as a negative length before their first page, so only positive entries are page numbers.
    if (key.length !== 8 || value.length < 8 || value.length % 8 !== 0) return problem("free list: malformed entry");
    const count = Number(value.readBigUInt64LE(0));
    if (count * 8 + 8 > value.length) return problem("free list: entry count past its data");
    for (let i = 1; i <= count; i++) {
      const pg = Number(value.readBigInt64LE(i * 8));
      if (pg > last) return problem(`free list: page ${pg} out of range`);
    }
  });
  const subs: Array<{ name: string; db: Db }> = [];
  walk(best.main, "main", true, (key, value, flags) => {
    if (flags & F_SUBDATA) {
      if (value.length !== 48) return problem(`main: sub-database ${key.toString("latin1")} has a ${value.length}-byte header`);
      subs.push({ name: key.toString("latin1").replace(/\0+$/, ""), db: readDb(value, 0) });
    }
  });
  for (const s of subs) walk(s.db, s.name, true, () => undefined);
  return problems;
}
