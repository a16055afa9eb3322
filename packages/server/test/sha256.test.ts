import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seededRandom } from "@statehouse/conformance/testing";
import { sha256Hex } from "../src/daemon/sha256.js";

// The socket's name is the SHA-256 of the store's path, computed without node:crypto (the thin
// client's start-up): it must agree with node:crypto on every length around the block edges.
describe("sha256Hex", () => {
  it("agrees with node:crypto on every length from 0 to 300 and on non-ASCII text", () => {
    const random = seededRandom(7);
    const texts = [
      ...Array.from({ length: 301 }, (_, n) =>
        Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join(""),
      ),
      "é🎉/tmp/ñ",
      "\u0000",
    ];
    for (const text of texts) expect(sha256Hex(text), `length ${text.length}`).toBe(createHash("sha256").update(text).digest("hex"));
  });
});
