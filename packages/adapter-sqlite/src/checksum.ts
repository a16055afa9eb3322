import { crc32 } from "node:zlib";

/**
 * SQLite has no page checksums, so a flipped byte inside a value would be read back as a
 * different, valid-looking document. Every row carries a CRC-32 over all its columns instead, and
 * every read that parses a row checks it.
 */
export function recordCrc(collection: string, id: string, seq: number, revision: number, idx: string | null, value: string): number {
  // A damaged row may hold NULL or a number where text belongs: it can never match (CRCs are ≥ 0).
  if (typeof value !== "string") return -1;
  return crc32(value, crc32(`${collection}\u0000${id}\u0000${seq}\u0000${revision}\u0000${idx ?? ""}\u0000`));
}

export function changeCrc(seq: number, at: number, entries: string): number {
  if (typeof entries !== "string") return -1;
  return crc32(entries, crc32(`${seq}\u0000${at}\u0000`));
}
