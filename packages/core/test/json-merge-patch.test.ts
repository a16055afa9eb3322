import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import { mergePatch } from "../src/json/index.js";
import type { JsonValue } from "../src/json/types.js";
import { deepFreeze } from "../src/validation.js";

const frozen = (v: unknown) => deepFreeze(v as JsonValue);

// RFC 7396 Appendix A, every example.
const RFC_EXAMPLES: Array<[JsonValue, JsonValue, JsonValue]> = [
  [{ a: "b" }, { a: "c" }, { a: "c" }],
  [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
  [{ a: "b" }, { a: null }, {}],
  [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
  [{ a: ["b"] }, { a: "c" }, { a: "c" }],
  [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
  [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
  [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
  [
    ["a", "b"],
    ["c", "d"],
    ["c", "d"],
  ],
  [{ a: "b" }, ["c"], ["c"]],
  [{ a: "foo" }, null, null],
  [{ a: "foo" }, "bar", "bar"],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: "b", c: null }, { a: "b" }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe("mergePatch", () => {
  it("passes every RFC 7396 Appendix A example, without modifying its inputs", () => {
    for (const [target, patch, expected] of RFC_EXAMPLES) {
      const t = frozen(structuredClone(target));
      const p = frozen(structuredClone(patch));
      expect(mergePatch(t, p), JSON.stringify([target, patch])).toEqual(expected);
      expect(t).toEqual(target);
      expect(p).toEqual(patch);
    }
  });

  it("passes the RFC 7396 section 3 example", () => {
    const target = frozen({
      title: "Goodbye!",
      author: { givenName: "John", familyName: "Doe" },
      tags: ["example", "sample"],
      content: "This will be unchanged",
    });
    const patch = frozen({ title: "Hello!", phoneNumber: "+01-123-456-7890", author: { familyName: null }, tags: ["example"] });
    expect(mergePatch(target, patch)).toEqual({
      title: "Hello!",
      author: { givenName: "John" },
      tags: ["example"],
      content: "This will be unchanged",
      phoneNumber: "+01-123-456-7890",
    });
  });

  it("shares unchanged branches and returns the target itself for a no-op patch", () => {
    const target = frozen({ a: { x: 1 }, b: { y: [1, 2] }, c: 3 });
    const out = mergePatch(target, { a: { x: 2 } }) as any;
    expect(out.b).toBe((target as any).b);
    expect(out).toEqual({ a: { x: 2 }, b: { y: [1, 2] }, c: 3 });
    expect(mergePatch(target, {})).toBe(target);
    expect(mergePatch(target, { missing: null })).toBe(target);
    expect(mergePatch(target, { a: { gone: null } })).toBe(target);
    expect(mergePatch(target, { c: 3 })).toBe(target);
  });

  it("keeps member order: existing members in place, new ones appended", () => {
    const out = mergePatch(frozen({ z: 1, y: 2, x: 3 }), { y: null, w: 4, z: 5 });
    expect(Object.keys(out as object)).toEqual(["z", "x", "w"]);
    expect(out).toEqual({ z: 5, x: 3, w: 4 });
  });

  it("strips nulls from new nested objects and returns a fresh object for non-object targets", () => {
    const out = mergePatch(frozen("scalar"), { a: { b: null, c: { d: null, e: 1 } } });
    expect(out).toEqual({ a: { c: { e: 1 } } });
    const empty = mergePatch(null, {});
    expect(empty).toEqual({});
    expect(Object.isFrozen(empty)).toBe(false);
  });

  it("treats constructor, prototype and toString as ordinary own members", () => {
    const out = mergePatch(frozen({}), JSON.parse('{"constructor": {"prototype": {"polluted": 1}}, "toString": 1}')) as any;
    expect(Object.keys(out)).toEqual(["constructor", "toString"]);
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    const removed = mergePatch(out, { constructor: null }) as any;
    expect(Object.hasOwn(removed, "constructor")).toBe(false);
    // Not own: nothing to remove, and nothing inherited is touched.
    expect(mergePatch(frozen({ a: 1 }), { hasOwnProperty: null })).toEqual({ a: 1 });
  });

  it("refuses __proto__ keys anywhere in the patch with a ValidationError", () => {
    for (const text of ['{"__proto__": {"polluted": 1}}', '{"a": {"__proto__": null}}', '{"a": [{"__proto__": 1}]}']) {
      let code = "no error";
      try {
        mergePatch(frozen({ a: {} }), JSON.parse(text));
      } catch (err) {
        code = isStatehouseError(err) ? err.code : String(err);
      }
      expect(code, text).toBe("E_VALIDATION");
    }
    expect(({} as any).polluted).toBeUndefined();
  });

  it("refuses patches that are not JSON", () => {
    for (const bad of [{ a: undefined }, { a: Number.NaN }, { a: new Map() }, [() => 1]]) {
      expect(() => mergePatch({}, bad as unknown as JsonValue)).toThrow(expect.objectContaining({ code: "E_VALIDATION" }));
    }
  });
});
