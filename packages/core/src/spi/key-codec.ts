/**
 * Index keys stored as bytes in an order-preserving encoding (SQLite BLOBs, PostgreSQL bytea), because the listing order is
 * core's `compareKeys` (code-point order, i.e. UTF-8 byte order) and it must hold for every JS
 * string, including lone surrogates, which an engine's UTF-8 text type would silently replace with U+FFFD. Shared by the adapters that need it.
 *
 * Each UTF-16 code unit is first remapped so that plain unit order equals `compareKeys` order
 * (surrogates 0xD800–0xDFFF move above every other unit), then written with UTF-8's byte rules
 * (1–3 bytes). UTF-8's rules are prefix-free and preserve order, so memcmp over the encoding is
 * exactly `compareKeys` over the strings, and ASCII keys stay one byte per character.
 */

const ASCII = /^[\x00-\x7f]*$/;

function remap(unit: number): number {
  if (unit < 0xd800) return unit;
  // Surrogates sort after every other unit; the units above them move down to close the gap.
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

function unmap(value: number): number {
  if (value < 0xd800) return value;
  return value >= 0xf800 ? value - 0x2000 : value + 0x800;
}

export function encodeKey(key: string): Buffer {
  if (ASCII.test(key)) return Buffer.from(key, "latin1");
  const out = Buffer.allocUnsafe(key.length * 3);
  let n = 0;
  for (let i = 0; i < key.length; i++) {
    const v = remap(key.charCodeAt(i));
    if (v < 0x80) {
      out[n++] = v;
    } else if (v < 0x800) {
      out[n++] = 0xc0 | (v >> 6);
      out[n++] = 0x80 | (v & 0x3f);
    } else {
      out[n++] = 0xe0 | (v >> 12);
      out[n++] = 0x80 | ((v >> 6) & 0x3f);
      out[n++] = 0x80 | (v & 0x3f);
    }
  }
  return out.subarray(0, n);
}

export function decodeKey(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    let v: number;
    if (b < 0x80) {
      v = b;
      i += 1;
    } else if (b < 0xe0) {
      v = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      i += 2;
    } else {
      v = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      i += 3;
    }
    units.push(unmap(v));
  }
  let s = "";
  // Chunked so that a long key never exceeds the argument limit of fromCharCode.
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.slice(i, i + 8192));
  return s;
}

/**
 * The exclusive upper bound of the keys that start with `prefix`: the encoding never contains the
 * byte 0xFF, so `[enc(prefix), enc(prefix) ++ 0xFF)` is exactly the set of keys with that prefix.
 */
export function prefixRange(prefix: string): { low: Buffer; high: Buffer } {
  const low = encodeKey(prefix);
  const high = Buffer.allocUnsafe(low.length + 1);
  low.copy(high);
  high[low.length] = 0xff;
  return { low, high };
}
