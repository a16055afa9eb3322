import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import { MemoryAdapter } from "../src/memory/memory-adapter.js";
import { validateIndexKey, validateIndexName } from "../src/validation.js";

/** Issue 15: index names and keys are validated at the SPI boundary (write and read side). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "no error";
  } catch (err) {
    return isStatehouseError(err) ? err.code : `raw ${String(err)}`;
  }
}

describe("SPI index validation", () => {
  it("a put indexed under the internal by-id name is refused, so listing by id has no duplicates", async () => {
    const a = new MemoryAdapter();
    await a.transact((tx) => tx.put("items", "r1", { v: 1 }));
    expect(await codeOf(() => a.transact((tx) => tx.put("items", "r2", { v: 2 }, { index: { "\u0000id": "zz" } })))).toBe("E_VALIDATION");
    expect((await a.list("items")).records.map((r) => r.id)).toEqual(["r1"]);
    expect(await a.count("items")).toBe(1);
    await a.close();
  });

  it("list and count by index refuse an invalid name or a prefix with a lone surrogate", async () => {
    const a = new MemoryAdapter();
    await a.transact((tx) => tx.put("items", "r1", { v: 1 }, { index: { by: "a\u{1F600}" } }));
    expect(await codeOf(() => a.list("items", { index: "\u0000id" }))).toBe("E_VALIDATION");
    expect(await codeOf(() => a.count("items", { index: "" }))).toBe("E_VALIDATION");
    expect(await codeOf(() => a.list("items", { index: "by", prefix: "a\uD83D" }))).toBe("E_VALIDATION");
    expect(await codeOf(() => a.count("items", { index: "by", prefix: "a\uD83D" }))).toBe("E_VALIDATION");
    expect((await a.list("items", { index: "by", prefix: "a\u{1F600}" })).records).toHaveLength(1);
    // Ids are ASCII: an id prefix with a lone surrogate matches nothing, as in every adapter.
    expect((await a.list("items", { prefix: "\uD800" })).records).toEqual([]);
    await a.close();
  });

  it("the helpers accept what the domain and the suite use and refuse the rest", () => {
    for (const name of ["by", "status-created", "project-updated", "session", "a.b:c_d"]) expect(validateIndexName(name)).toBe(name);
    for (const name of ["", "\u0000id", "1x", "by ", "x".repeat(65), 7]) expect(() => validateIndexName(name)).toThrow(/index name/);
    for (const key of ["", "a\u0000", "\u{10FFFF}", "\uFFFF", "a\u0001b"]) expect(validateIndexKey(key)).toBe(key);
    for (const key of ["\uD800", "\uDC00x", "a\uD83D"]) expect(() => validateIndexKey(key)).toThrow(/lone surrogate/);
  });
});
