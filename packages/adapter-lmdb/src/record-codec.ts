import { crc32 } from "node:zlib";
import { CorruptError, type IndexKeys, type JsonValue, type StoredRecord, deepFreeze } from "@statehouse/core";

/**
 * A record's stored bytes:
 *
 *   0      u8   format (1)
 *   1..4   u32  CRC-32 of bytes 5.. (LMDB has no checksums of its own)
 *   5..12  f64  stamp: the change sequence number of the commit that wrote it
 *   13..20 f64  revision
 *   21..24 u32  length L of the index section
 *   25..   L bytes of index keys as JSON (the record's entries, to replace them on the next put),
 *          then the value's JSON text.
 *
 * The stamp is unique per written version (one commit writes a record at most once, and a
 * re-created record gets a new commit), so "same stamp" means "same bytes": that is what lets a
 * cached, already-parsed value be served after reading only the first 13 bytes.
 */
export const RECORD_FORMAT = 1;
const HEADER = 25;

export function encodeRecord(stamp: number, revision: number, index: IndexKeys, json: string): Buffer {
  const names = Object.keys(index);
  const indexJson = names.length === 0 ? "" : JSON.stringify(index);
  const indexBytes = indexJson === "" ? 0 : Buffer.byteLength(indexJson, "utf8");
  const valueBytes = Buffer.byteLength(json, "utf8");
  const buf = Buffer.allocUnsafe(HEADER + indexBytes + valueBytes);
  buf[0] = RECORD_FORMAT;
  buf.writeDoubleLE(stamp, 5);
  buf.writeDoubleLE(revision, 13);
  buf.writeUInt32LE(indexBytes, 21);
  if (indexBytes > 0) buf.write(indexJson, HEADER, "utf8");
  buf.write(json, HEADER + indexBytes, "utf8");
  buf.writeUInt32LE(crc32(buf.subarray(5)), 1);
  return buf;
}

/** The stamp, read without verifying anything (the cache check on the hot path). */
export function stampOf(buf: Uint8Array): number {
  if (buf.length < HEADER) return -1;
  return Buffer.from(buf.buffer, buf.byteOffset, buf.length).readDoubleLE(5);
}

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? (buf as Buffer).subarray(0, buf.length) : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
}

function corrupt(collection: string, id: string, why: string, file: string): CorruptError {
  return new CorruptError(`corrupt record ${collection}/${id} in ${file}: ${why}`, { details: { file, collection, id } });
}

/** Verifies and parses a record. Throws CorruptError naming the file when the bytes are not what was written. */
export function decodeRecord(collection: string, id: string, raw: Uint8Array, file: string): { record: StoredRecord; stamp: number } {
  const buf = asBuffer(raw);
  if (buf.length < HEADER) throw corrupt(collection, id, `${buf.length} bytes is shorter than a record header`, file);
  if (buf[0] !== RECORD_FORMAT) throw corrupt(collection, id, `unknown record format ${buf[0]}`, file);
  if (buf.readUInt32LE(1) !== crc32(buf.subarray(5))) throw corrupt(collection, id, "checksum mismatch", file);
  const stamp = buf.readDoubleLE(5);
  const revision = buf.readDoubleLE(13);
  const indexBytes = buf.readUInt32LE(21);
  if (HEADER + indexBytes > buf.length || !Number.isInteger(revision) || revision < 1) {
    throw corrupt(collection, id, "malformed header", file);
  }
  let value: JsonValue;
  try {
    value = JSON.parse(buf.toString("utf8", HEADER + indexBytes)) as JsonValue;
  } catch (err) {
    throw new CorruptError(`corrupt record ${collection}/${id} in ${file}: unparseable JSON`, {
      cause: err,
      details: { file, collection, id },
    });
  }
  return { record: { collection, id, revision, value: deepFreeze(value) }, stamp };
}

/** The index keys stored with a record (used to replace them on the next write). */
export function indexOfRecord(raw: Uint8Array, file = "data.mdb"): IndexKeys {
  const buf = asBuffer(raw);
  const indexBytes = buf.length >= HEADER ? buf.readUInt32LE(21) : 0;
  if (indexBytes === 0) return {};
  try {
    const parsed: unknown = JSON.parse(buf.toString("utf8", HEADER, HEADER + indexBytes));
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new TypeError("not an object");
    return parsed as IndexKeys;
  } catch (err) {
    throw new CorruptError(`corrupt record index section in ${file}`, { cause: err, details: { file } });
  }
}
