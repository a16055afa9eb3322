import { describe, expect, it } from "vitest";
import { ConflictError, isStatehouseError } from "../src/errors.js";
import { applyPatch, getAt } from "../src/json/index.js";
import type { JsonValue } from "../src/json/types.js";
import { deepFreeze, validateValue } from "../src/validation.js";

const frozen = (v: unknown) => deepFreeze(v as JsonValue);

function errorOf(fn: () => unknown): { code: string; message: string; details: Record<string, unknown>; err: unknown } {
  try {
    fn();
  } catch (err) {
    if (isStatehouseError(err)) return { code: err.code, message: err.message, details: err.details, err };
    throw err;
  }
  return { code: "no error", message: "", details: {}, err: undefined };
}

const patchOf = (ops: unknown) => ops as JsonValue[];

describe("applyPatch: operations", () => {
  it("add inserts into arrays, replaces existing object members, and can replace the root", () => {
    const doc = frozen({ a: 1, list: [1, 2] });
    expect(applyPatch(doc, [{ op: "add", path: "/list/1", value: "x" }])).toEqual({ a: 1, list: [1, "x", 2] });
    expect(applyPatch(doc, [{ op: "add", path: "/list/-", value: 3 }])).toEqual({ a: 1, list: [1, 2, 3] });
    expect(applyPatch(doc, [{ op: "add", path: "/a", value: { b: 1 } }])).toEqual({ a: { b: 1 }, list: [1, 2] });
    expect(applyPatch(doc, [{ op: "add", path: "", value: [1] }])).toEqual([1]);
  });

  it("remove, replace, move, copy and test do what RFC 6902 says", () => {
    const doc = frozen({ a: { b: 1, c: [1, 2, 3] }, d: "x" });
    expect(applyPatch(doc, [{ op: "remove", path: "/a/c/0" }])).toEqual({ a: { b: 1, c: [2, 3] }, d: "x" });
    expect(applyPatch(doc, [{ op: "replace", path: "/d", value: null }])).toEqual({ a: { b: 1, c: [1, 2, 3] }, d: null });
    expect(applyPatch(doc, [{ op: "move", from: "/a/b", path: "/e" }])).toEqual({ a: { c: [1, 2, 3] }, d: "x", e: 1 });
    expect(applyPatch(doc, [{ op: "move", from: "/a/c/0", path: "/a/c/-" }])).toEqual({ a: { b: 1, c: [2, 3, 1] }, d: "x" });
    expect(applyPatch(doc, [{ op: "copy", from: "/a", path: "/f" }])).toEqual({
      a: { b: 1, c: [1, 2, 3] },
      d: "x",
      f: { b: 1, c: [1, 2, 3] },
    });
    expect(applyPatch(doc, [{ op: "test", path: "/a", value: { c: [1, 2, 3], b: 1 } }])).toBe(doc);
  });

  it("copy makes a deep copy, so the result has no shared reference and validates", () => {
    const doc = frozen({ a: { b: [1, { c: 2 }] } });
    const out = applyPatch(doc, [{ op: "copy", from: "/a", path: "/z" }]) as any;
    expect(out.z).toEqual(out.a);
    expect(out.z).not.toBe(out.a);
    expect(out.z.b[1]).not.toBe(out.a.b[1]);
    expect(() => validateValue(out)).not.toThrow();
  });

  it("never modifies the input and shares untouched branches", () => {
    const doc = frozen({ keep: { big: [1, 2, 3] }, edit: { n: 1 } });
    const before = JSON.stringify(doc);
    const out = applyPatch(doc, [
      { op: "replace", path: "/edit/n", value: 2 },
      { op: "add", path: "/edit/m", value: 3 },
    ]) as any;
    expect(JSON.stringify(doc)).toBe(before);
    expect(out.keep).toBe((doc as any).keep);
    expect(out.edit).toEqual({ n: 2, m: 3 });
  });

  it("is atomic: a failing operation leaves nothing applied", () => {
    const doc = frozen({ n: 1 });
    const e = errorOf(() =>
      applyPatch(doc, [
        { op: "replace", path: "/n", value: 2 },
        { op: "test", path: "/n", value: 1 },
      ]),
    );
    expect(e.code).toBe("E_CONFLICT");
    expect(doc).toEqual({ n: 1 });
  });

  it("sees the effects of earlier operations in later ones", () => {
    const out = applyPatch(frozen({}), [
      { op: "add", path: "/a", value: {} },
      { op: "add", path: "/a/b", value: [] },
      { op: "add", path: "/a/b/-", value: 1 },
      { op: "test", path: "/a/b/0", value: 1 },
      { op: "copy", from: "/a/b", path: "/c" },
      { op: "move", from: "/c", path: "/a/d" },
    ]);
    expect(out).toEqual({ a: { b: [1], d: [1] } });
  });

  it("move of a location onto itself is a no-op but needs the value to exist", () => {
    const doc = frozen({ a: { b: 1 } });
    expect(applyPatch(doc, [{ op: "move", from: "/a", path: "/a" }])).toBe(doc);
    expect(errorOf(() => applyPatch(doc, [{ op: "move", from: "/x", path: "/x" }])).code).toBe("E_NOT_FOUND");
  });

  it("move into its own child is an InvalidPathError; a sibling with a common string prefix is fine", () => {
    const doc = frozen({ a: { b: {} }, ab: 1 });
    for (const [from, path] of [
      ["/a", "/a/b"],
      ["/a", "/a/b/c"],
      ["", "/a"],
    ]) {
      const e = errorOf(() => applyPatch(doc, [{ op: "move", from: from!, path: path! }]));
      expect(e.code, `${from} → ${path}`).toBe("E_INVALID_PATH");
      expect(e.message).toMatch(/into its own child/);
    }
    expect(applyPatch(doc, [{ op: "move", from: "/a", path: "/ab" }])).toEqual({ ab: { b: {} } });
  });
});

describe("applyPatch: errors", () => {
  it("names the operation index and problem for malformed operations (ValidationError)", () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /operation 1: must be an object/],
      [[1], /operation 1: must be an object/],
      [{ path: "/a" }, /operation 1: "op" must be one of .*it has none/],
      [{ op: "spam", path: "/a" }, /operation 1: "op" must be one of .*"spam"/],
      [{ op: 5, path: "/a" }, /operation 1: "op" must be one of/],
      [{ op: "add", value: 1 }, /operation 1 \(add\): "path" must be a JSON Pointer string, and it is missing/],
      [{ op: "add", path: 5, value: 1 }, /operation 1 \(add\): "path" must be a JSON Pointer string, got a number/],
      [{ op: "add", path: "/a" }, /operation 1 \(add\): "value" is missing/],
      [{ op: "replace", path: "/a", value: undefined }, /"value" is missing/],
      [{ op: "move", path: "/a" }, /operation 1 \(move\): "from" must be/],
      [{ op: "copy", path: "/a", from: null }, /operation 1 \(copy\): "from" must be .*got null/],
      [{ op: "add", path: "/a", value: Number.NaN }, /operation 1 \(add\): "value": NaN is not a finite number/],
      [
        { op: "add", path: "/a", value: JSON.parse('{"x":{"__proto__":1}}') },
        /operation 1 \(add\): "value" at \/x\/__proto__: the key "__proto__" is not allowed/,
      ],
    ];
    for (const [op, message] of cases) {
      const e = errorOf(() => applyPatch(frozen({ a: 1 }), patchOf([{ op: "test", path: "/a", value: 1 }, op])));
      expect(e.code, JSON.stringify(op)).toBe("E_VALIDATION");
      expect(e.message).toMatch(message);
      expect(e.details.operation).toBe(1);
    }
    expect(errorOf(() => applyPatch({}, { op: "add" } as unknown as JsonValue[])).code).toBe("E_VALIDATION");
  });

  it("reports a malformed later operation even when an earlier one would fail", () => {
    const e = errorOf(() =>
      applyPatch(
        frozen({}),
        patchOf([
          { op: "remove", path: "/missing" },
          { op: "nope", path: "" },
        ]),
      ),
    );
    expect(e.code).toBe("E_VALIDATION");
    expect(e.details.operation).toBe(1);
  });

  it("uses InvalidPathError for malformed pointers, __proto__, bad array tokens and impossible positions", () => {
    const doc = frozen({ arr: [1, 2], s: 1 });
    const cases: unknown[] = [
      { op: "add", path: "arr", value: 1 },
      { op: "add", path: "/a~2", value: 1 },
      { op: "add", path: "/__proto__/x", value: 1 },
      { op: "copy", from: "/__proto__", path: "/x" },
      { op: "move", from: "/arr/0", path: "/constructor/__proto__" },
      { op: "add", path: "/arr/3", value: 1 },
      { op: "add", path: "/arr/01", value: 1 },
      { op: "add", path: "/arr/x", value: 1 },
      { op: "add", path: "/s/x", value: 1 },
      { op: "remove", path: "/arr/-" },
      { op: "replace", path: "/arr/-", value: 1 },
      { op: "test", path: "/arr/-", value: 1 },
      { op: "remove", path: "" },
    ];
    for (const [i, op] of cases.entries()) {
      const e = errorOf(() => applyPatch(doc, patchOf([op])));
      expect(e.code, JSON.stringify(op)).toBe("E_INVALID_PATH");
      expect(e.details.operation).toBe(0);
      expect(e.message, String(i)).toMatch(/^JSON Patch operation 0 \(\w+\): /);
    }
  });

  it("uses NotFoundError where a value must exist and does not", () => {
    const doc = frozen({ a: { b: 1 }, arr: [1], s: "x" });
    const cases: Array<[unknown, string]> = [
      [{ op: "remove", path: "/missing" }, "/missing"],
      [{ op: "remove", path: "/arr/1" }, "/arr/1"],
      [{ op: "remove", path: "/s/0" }, "/s/0"],
      [{ op: "remove", path: "/constructor" }, "/constructor"],
      [{ op: "replace", path: "/a/c", value: 1 }, "/a/c"],
      [{ op: "replace", path: "/x/y", value: 1 }, "/x/y"],
      [{ op: "add", path: "/x/y", value: 1 }, "/x/y"],
      [{ op: "add", path: "/arr/5/y", value: 1 }, "/arr/5/y"],
      [{ op: "move", from: "/nope", path: "/b" }, "/nope"],
      [{ op: "copy", from: "/a/zz", path: "/b" }, "/a/zz"],
      [{ op: "copy", from: "/toString", path: "/b" }, "/toString"],
    ];
    for (const [op, pointer] of cases) {
      const e = errorOf(() => applyPatch(doc, patchOf([{ op: "test", path: "/s", value: "x" }, op])));
      expect(e.code, JSON.stringify(op)).toBe("E_NOT_FOUND");
      expect(e.details).toMatchObject({ operation: 1, pointer });
      expect(e.message).toContain(JSON.stringify(pointer));
    }
  });

  it("a failed test is a ConflictError carrying the operation and pointer, also for a missing value", () => {
    const doc = frozen({ n: 1, s: "1", o: { a: 1 } });
    for (const [path, value] of [
      ["/n", 2],
      ["/n", "1"],
      ["/s", 1],
      ["/o", { a: 1, b: 2 }],
      ["/o", [1]],
      ["/missing", null],
      ["/o/constructor", {}],
    ] as Array<[string, JsonValue]>) {
      const e = errorOf(() =>
        applyPatch(doc, [
          { op: "add", path: "/x", value: 1 },
          { op: "test", path, value },
        ]),
      );
      expect(e.code, path).toBe("E_CONFLICT");
      expect(e.err).toBeInstanceOf(ConflictError);
      expect(e.details).toEqual({ operation: 1, pointer: path });
      expect(e.message).toContain(`operation 1 (test)`);
      expect(e.message).toContain(JSON.stringify(path));
    }
  });

  it("test compares JSON values: member order ignored, array order and types respected", () => {
    const doc = frozen({ o: { a: [1, { b: null }], c: true } });
    expect(() => applyPatch(doc, [{ op: "test", path: "/o", value: { c: true, a: [1, { b: null }] } }])).not.toThrow();
    expect(errorOf(() => applyPatch(doc, [{ op: "test", path: "/o/a", value: [{ b: null }, 1] }])).code).toBe("E_CONFLICT");
    expect(errorOf(() => applyPatch(doc, [{ op: "test", path: "/o/c", value: 1 }])).code).toBe("E_CONFLICT");
    expect(
      errorOf(() => applyPatch(doc, [{ op: "test", path: "/o/a/1", value: { b: null, d: undefined as unknown as JsonValue } }])).code,
    ).toBe("E_VALIDATION");
  });

  it("constructor, prototype and toString are ordinary keys for every operation", () => {
    const out = applyPatch(frozen({}), [
      { op: "add", path: "/constructor", value: { prototype: {} } },
      { op: "add", path: "/constructor/prototype/polluted", value: 1 },
      { op: "copy", from: "/constructor", path: "/toString" },
      { op: "move", from: "/toString", path: "/hasOwnProperty" },
      { op: "test", path: "/hasOwnProperty/prototype/polluted", value: 1 },
      { op: "replace", path: "/constructor/prototype", value: "p" },
    ]) as any;
    expect(out).toEqual(JSON.parse('{"constructor":{"prototype":"p"},"hasOwnProperty":{"prototype":{"polluted":1}}}'));
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(getAt(out, "/constructor/prototype")).toBe("p");
  });
});
