import { compareEntries } from "@statehouse/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeIndexKey, indexKey, indexPrefix, upperBound } from "../src/keys.js";
import { decodeRecord, encodeRecord, stampOf } from "../src/record-codec.js";

const text = fc.string({ maxLength: 6, unit: fc.constantFrom("a", "b", "\u0000", "\u0001", "\u0002", "\uffff", "\u{10000}", "é", "~") });

describe("key layout", () => {
  it("index keys sort by (key, id) in code-point order, exactly as compareEntries", () => {
    fc.assert(
      fc.property(text, fc.constantFrom("a", "b", "a.b", "ab"), text, fc.constantFrom("a", "b", "a.b", "ab"), (k1, id1, k2, id2) => {
        const bytes = Math.sign(Buffer.compare(indexKey("c", "n", k1, id1), indexKey("c", "n", k2, id2)));
        expect(bytes).toBe(Math.sign(compareEntries(k1, id1, k2, id2)));
      }),
      { numRuns: 2000 },
    );
  });

  it("a key is in [prefix, upperBound(prefix)) exactly when it starts with the prefix, and decodes back", () => {
    fc.assert(
      fc.property(text, text, fc.constantFrom("x", "y.z"), (key, prefix, id) => {
        const k = indexKey("c", "n\u0000", key, id);
        const low = indexPrefix("c", "n\u0000", prefix);
        const inside = Buffer.compare(k, low) >= 0 && Buffer.compare(k, upperBound(low)) < 0;
        expect(inside).toBe(key.startsWith(prefix));
        expect(decodeIndexKey(k)).toEqual({ collection: "c", name: "n\u0000", key, id });
      }),
      { numRuns: 2000 },
    );
  });
});

describe("record codec", () => {
  it("round-trips, exposes the stamp, and detects any flipped byte", () => {
    const buf = encodeRecord(42, 7, { status: "active" }, JSON.stringify({ a: "é\u{1F600}", n: [1, 2] }));
    expect(stampOf(buf)).toBe(42);
    const { record, stamp } = decodeRecord("docs", "x", buf, "data.mdb");
    expect(stamp).toBe(42);
    expect(record).toEqual({ collection: "docs", id: "x", revision: 7, value: { a: "é\u{1F600}", n: [1, 2] } });
    expect(Object.isFrozen(record.value)).toBe(true);
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf);
      bad[i] = bad[i]! ^ 0x20;
      expect(() => decodeRecord("docs", "x", bad, "data.mdb"), `byte ${i}`).toThrow(expect.objectContaining({ code: "E_CORRUPT" }));
    }
  });
});
