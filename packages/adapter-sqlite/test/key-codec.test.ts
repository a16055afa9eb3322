import { compareKeys, decodeKey, encodeKey, prefixRange } from "@statehouse/core/spi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// Code units chosen to sit on every boundary the encoding has: ASCII/2-byte/3-byte, surrogates
// (lone and paired), the units just above and below them, NUL and U+FFFF.
const UNITS = [0x00, 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff];
const unit = fc.oneof(fc.constantFrom(...UNITS), fc.integer({ min: 0, max: 0xffff })).map((u) => String.fromCharCode(u));
const key = fc.string({ unit, maxLength: 8 });

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

describe("key codec", () => {
  it("round-trips every string, lone surrogates included", () => {
    fc.assert(
      fc.property(key, (k) => decodeKey(encodeKey(k)) === k),
      { numRuns: 5000 },
    );
  });

  it("orders encodings exactly as compareKeys orders strings", () => {
    fc.assert(
      fc.property(key, key, (a, b) => sign(Buffer.compare(encodeKey(a), encodeKey(b))) === sign(compareKeys(a, b))),
      { numRuns: 5000 },
    );
  });

  it("bounds a prefix's keys exactly", () => {
    fc.assert(
      fc.property(key, key, (prefix, k) => {
        const { low, high } = prefixRange(prefix);
        const e = encodeKey(k);
        const inRange = Buffer.compare(e, low) >= 0 && Buffer.compare(e, high) < 0;
        return inRange === k.startsWith(prefix);
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps ASCII keys one byte per character, as stored text would be", () => {
    expect(encodeKey("active")).toEqual(Buffer.from("active"));
    expect(encodeKey("")).toEqual(Buffer.alloc(0));
  });
});
