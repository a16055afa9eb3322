/**
 * Binary key layouts. Every listing order in statehouse is (key, id) by UTF-8 bytes, which is
 * LMDB's own key order, so the sub-databases are laid out to make that order the B-tree order.
 *
 * Collections ([a-z0-9_-]) and ids (validated, printable ASCII) never contain 0x00 or 0x01, so
 * they are written raw. Index names and index keys are arbitrary strings: they are escaped
 * (0x00 → 01 01, 0x01 → 01 02) and terminated by 0x00, which keeps byte order (the terminator
 * sorts below every escaped byte, so a shorter key sorts first) and keeps prefixes prefixes.
 */

import { validateListOptions } from "@statehouse/core";

/** LMDB's default maximum key size in lmdb-js (4 KiB pages). */
export const MAX_KEY_BYTES = 1978;

/** No UTF-8 string contains the byte 0xFF, so `prefix + 0xFF` bounds every key that starts with prefix. */
const TOP = Buffer.from([0xff]);
const SEP = Buffer.from([0]);

function utf8(s: string): Buffer {
  return Buffer.from(s, "utf8");
}

function escaped(s: string): Buffer {
  const raw = utf8(s);
  if (!raw.includes(0) && !raw.includes(1)) return raw;
  const out: number[] = [];
  for (const b of raw) {
    if (b === 0) out.push(1, 1);
    else if (b === 1) out.push(1, 2);
    else out.push(b);
  }
  return Buffer.from(out);
}

/** records: collection 0x00 id */
export function recordKey(collection: string, id: string): Buffer {
  return utf8(`${collection}\u0000${id}`);
}

/** The start of a collection's records whose ids begin with `prefix`. */
export function recordPrefix(collection: string, prefix: string): Buffer {
  return utf8(`${collection}\u0000${prefix}`);
}

/** index: collection 0x00 esc(name) 0x00 esc(key) 0x00 id */
export function indexKey(collection: string, name: string, key: string, id: string): Buffer {
  return Buffer.concat([entryPrefix(collection, name, key), SEP, utf8(id)]);
}

/**
 * The start of an index's entries whose keys begin with `prefix` (no terminator: a true prefix),
 * for a list or count. The name and prefix come from the caller, so they are checked here, as
 * every adapter checks them: a lone surrogate would be written as U+FFFD by UTF-8 and match
 * other keys than it does elsewhere. (Keys being written were checked by core's TxBuffer.)
 */
export function indexPrefix(collection: string, name: string, prefix: string): Buffer {
  validateListOptions({ index: name, prefix });
  return entryPrefix(collection, name, prefix);
}

function entryPrefix(collection: string, name: string, prefix: string): Buffer {
  return Buffer.concat([utf8(collection), SEP, escaped(name), SEP, escaped(prefix)]);
}

export function upperBound(prefix: Buffer): Buffer {
  return Buffer.concat([prefix, TOP]);
}

/** The smallest key greater than `key` (keys are unique, so this is an exclusive start). */
export function successor(key: Buffer): Buffer {
  return Buffer.concat([key, SEP]);
}

/** The id at the end of an index key or a record key (ids contain no 0x00). */
export function idOfKey(key: Uint8Array): string {
  const at = Buffer.from(key.buffer, key.byteOffset, key.byteLength).lastIndexOf(0);
  return Buffer.from(key.buffer, key.byteOffset + at + 1, key.byteLength - at - 1).toString("utf8");
}

/** The (collection, id) of a record key. */
export function splitRecordKey(key: Uint8Array): { collection: string; id: string } | undefined {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const at = b.indexOf(0);
  if (at < 0) return undefined;
  return { collection: b.toString("utf8", 0, at), id: b.toString("utf8", at + 1) };
}

/** log: the sequence number as 8 big-endian bytes, so numeric order is byte order. */
export function logKey(sequence: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(sequence, 2, 6);
  return b;
}

export function sequenceOfLogKey(key: Uint8Array): number {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUIntBE(2, 6);
}

/**
 * The store's sequence number lives in the log database under a key that sorts after every
 * change set: it shares the rightmost leaf page with the change set written in the same commit,
 * so keeping it costs no extra page write (and no extra flush) per commit.
 */
export const LOG_SEQUENCE = Buffer.from([0xff]);

export const META_FORMAT = utf8("format");
export const META_COMPACTING = utf8("compacting");

/** Decodes an index key; undefined when it is not well formed. */
export function decodeIndexKey(key: Uint8Array): { collection: string; name: string; key: string; id: string } | undefined {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const c = b.indexOf(0);
  if (c < 0) return undefined;
  const parts: string[] = [];
  let i = c + 1;
  for (let part = 0; part < 2; part++) {
    const out: number[] = [];
    for (;;) {
      if (i >= b.length) return undefined;
      const x = b[i]!;
      if (x === 0) break;
      if (x === 1) {
        const y = b[i + 1];
        if (y !== 1 && y !== 2) return undefined;
        out.push(y - 1);
        i += 2;
        continue;
      }
      out.push(x);
      i++;
    }
    parts.push(Buffer.from(out).toString("utf8"));
    i++;
  }
  return { collection: b.toString("utf8", 0, c), name: parts[0]!, key: parts[1]!, id: b.toString("utf8", i) };
}
