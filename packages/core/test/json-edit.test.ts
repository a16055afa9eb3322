import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import { deleteAt, setAt } from "../src/json/index.js";
import type { JsonValue } from "../src/json/types.js";
import { deepFreeze } from "../src/validation.js";

function errorOf(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    if (isStatehouseError(err)) return { code: err.code, message: err.message, details: err.details };
    throw err;
  }
  return { code: "no error", message: "", details: {} };
}

const frozen = (v: unknown) => deepFreeze(v as JsonValue);

describe("setAt", () => {
  it("adds and replaces object members, keeping the order of the others", () => {
    const doc = frozen({ a: 1, b: { c: 2 } });
    const added = setAt(doc, "/d", 4);
    expect(added).toEqual({ a: 1, b: { c: 2 }, d: 4 });
    expect(Object.keys(added as object)).toEqual(["a", "b", "d"]);
    const replaced = setAt(doc, "/a", "x");
    expect(Object.keys(replaced as object)).toEqual(["a", "b"]);
    expect(setAt(doc, "/b/c", 3)).toEqual({ a: 1, b: { c: 3 } });
  });

  it("never modifies the input and shares every untouched branch", () => {
    const doc = frozen({ left: { deep: [1, 2, { x: 1 }] }, right: { r: [3] }, list: [{ a: 1 }, { b: 2 }] });
    const before = JSON.stringify(doc);
    const out = setAt(doc, "/list/1/b", 20) as any;
    expect(JSON.stringify(doc)).toBe(before);
    expect(out.left).toBe((doc as any).left);
    expect(out.right).toBe((doc as any).right);
    expect(out.list).not.toBe((doc as any).list);
    expect(out.list[0]).toBe((doc as any).list[0]);
    expect(out.list[1]).toEqual({ b: 20 });
    expect(Object.isFrozen(out)).toBe(false);
  });

  it("returns the document itself when the value is already there (same reference)", () => {
    const inner = frozen({ z: 1 });
    const doc = frozen({ a: { b: inner } });
    expect(setAt(doc, "/a/b", inner)).toBe(doc);
  });

  it("replaces the whole document with an empty pointer", () => {
    expect(setAt(frozen({ a: 1 }), "", [1, 2])).toEqual([1, 2]);
    expect(setAt(frozen("scalar"), "", { a: 1 })).toEqual({ a: 1 });
  });

  it("replaces array elements below the length and appends at the length or with -", () => {
    const doc = frozen({ arr: ["a", "b"] });
    expect(setAt(doc, "/arr/0", "A")).toEqual({ arr: ["A", "b"] });
    expect(setAt(doc, "/arr/2", "c")).toEqual({ arr: ["a", "b", "c"] });
    expect(setAt(doc, "/arr/-", "c")).toEqual({ arr: ["a", "b", "c"] });
    expect(setAt(frozen([]), "/-", 1)).toEqual([1]);
    const e = errorOf(() => setAt(doc, "/arr/3", "x"));
    expect(e.code).toBe("E_INVALID_PATH");
    expect(e.message).toMatch(/"\/arr\/3".*index 3 is past the end/);
    expect(errorOf(() => setAt(doc, "/arr/01", "x")).code).toBe("E_INVALID_PATH");
    expect(errorOf(() => setAt(doc, "/arr/x", "x")).code).toBe("E_INVALID_PATH");
  });

  it("creates missing intermediates as objects, also before numeric tokens", () => {
    expect(setAt(frozen({}), "/stats/tools/calls", 1)).toEqual({ stats: { tools: { calls: 1 } } });
    expect(setAt(frozen({}), "/a/0", "x")).toEqual({ a: { "0": "x" } });
    expect(setAt(frozen({ a: { keep: true } }), "/a/b/c", 1)).toEqual({ a: { keep: true, b: { c: 1 } } });
    // The element at an array's end is created like a member would be.
    expect(setAt(frozen({ list: [1] }), "/list/-/name", "n")).toEqual({ list: [1, { name: "n" }] });
    expect(setAt(frozen({ list: [1] }), "/list/1/name", "n")).toEqual({ list: [1, { name: "n" }] });
    expect(errorOf(() => setAt(frozen({ list: [1] }), "/list/2/name", "n")).code).toBe("E_INVALID_PATH");
  });

  it("never turns a scalar into a container", () => {
    for (const [doc, pointer] of [
      [{ a: 1 }, "/a/b"],
      [{ a: "text" }, "/a/0"],
      [{ a: null }, "/a/b"],
      [{ a: true }, "/a/b/c"],
      [5, "/a"],
      [null, "/a"],
    ] as Array<[JsonValue, string]>) {
      const e = errorOf(() => setAt(frozen(doc), pointer, 1));
      expect(e.code, pointer).toBe("E_INVALID_PATH");
      expect(e.details.pointer).toBe(pointer);
    }
    expect(errorOf(() => setAt(frozen({ a: 1 }), "/a/b", 2)).message).toMatch(/"\/a" is a number, not an object or array/);
  });

  it("treats constructor, prototype and toString as ordinary own members", () => {
    const out = setAt(frozen({}), "/constructor/prototype/polluted", 1) as any;
    expect(Object.keys(out)).toEqual(["constructor"]);
    expect(Object.hasOwn(out, "constructor")).toBe(true);
    expect(out.constructor).toEqual({ prototype: { polluted: 1 } });
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    const t = setAt(frozen({ a: 1 }), "/toString", "str") as any;
    expect(Object.getOwnPropertyDescriptor(t, "toString")).toEqual({ value: "str", writable: true, enumerable: true, configurable: true });
    expect(JSON.stringify(t)).toBe('{"a":1,"toString":"str"}');
  });

  it("refuses __proto__ in the pointer (path error) and in the value (validation error)", () => {
    expect(errorOf(() => setAt(frozen({}), "/__proto__/polluted", 1)).code).toBe("E_INVALID_PATH");
    const hostile = JSON.parse('{"x": {"__proto__": {"polluted": 1}}}');
    const e = errorOf(() => setAt(frozen({}), "/a", hostile));
    expect(e.code).toBe("E_VALIDATION");
    expect(e.message).toMatch(/\/x\/__proto__/);
    expect(({} as any).polluted).toBeUndefined();
  });

  it("refuses values that are not JSON", () => {
    const sparse = [1, 2, 3];
    delete sparse[1];
    for (const bad of [undefined, Number.NaN, Number.POSITIVE_INFINITY, () => 1, 1n, new Date(0), sparse, { a: undefined }]) {
      expect(errorOf(() => setAt({}, "/a", bad as JsonValue)).code).toBe("E_VALIDATION");
    }
    const cyclic: any = { a: {} };
    cyclic.a.self = cyclic;
    expect(errorOf(() => setAt({}, "/a", cyclic)).code).toBe("E_VALIDATION");
  });
});

describe("deleteAt", () => {
  it("removes object members and array elements without modifying the input", () => {
    const doc = frozen({ a: 1, b: 2, c: { d: [1, 2, 3] }, e: { f: 1 } });
    const out = deleteAt(doc, "/b") as any;
    expect(out).toEqual({ a: 1, c: { d: [1, 2, 3] }, e: { f: 1 } });
    expect(Object.keys(out)).toEqual(["a", "c", "e"]);
    expect(out.c).toBe((doc as any).c);
    const out2 = deleteAt(doc, "/c/d/1") as any;
    expect(out2.c.d).toEqual([1, 3]);
    expect(out2.e).toBe((doc as any).e);
    expect(deleteAt(frozen([1, 2]), "/0")).toEqual([2]);
    expect(doc).toEqual({ a: 1, b: 2, c: { d: [1, 2, 3] }, e: { f: 1 } });
  });

  it("throws NotFoundError for a missing member or element, naming the pointer", () => {
    const doc = frozen({ a: { b: 1 }, arr: [1], s: "x" });
    for (const p of ["/missing", "/a/c", "/a/c/d", "/arr/1", "/arr/5/x", "/s/0", "/a/b/c", "/constructor", "/toString"]) {
      const e = errorOf(() => deleteAt(doc, p));
      expect(e.code, p).toBe("E_NOT_FOUND");
      expect(e.details.pointer, p).toBe(p);
      expect(e.message, p).toContain(JSON.stringify(p));
    }
  });

  it("refuses the whole document, -, malformed indices and __proto__ with InvalidPathError", () => {
    const doc = frozen({ arr: [1, 2] });
    for (const p of ["", "/arr/-", "/arr/01", "/arr/x", "/__proto__", "nope"]) {
      expect(errorOf(() => deleteAt(doc, p)).code, p).toBe("E_INVALID_PATH");
    }
  });

  it("deletes own members named like Object.prototype members", () => {
    const doc = frozen(JSON.parse('{"constructor": 1, "hasOwnProperty": 2, "keep": 3}'));
    const out = deleteAt(deleteAt(doc, "/constructor"), "/hasOwnProperty") as any;
    expect(out).toEqual({ keep: 3 });
    expect(Object.hasOwn(out, "constructor")).toBe(false);
    expect(typeof out.hasOwnProperty).toBe("function");
  });

  it("keeps an own __proto__ member of an (unvalidated) input as data when copying", () => {
    const doc = JSON.parse('{"__proto__": {"polluted": 1}, "x": 1, "y": 2}');
    const out = deleteAt(doc, "/x") as any;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out.polluted).toBeUndefined();
    const out2 = setAt(doc, "/y", 3) as any;
    expect(Object.getPrototypeOf(out2)).toBe(Object.prototype);
    expect(out2.polluted).toBeUndefined();
  });
});
