import { describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  deepFreeze,
  isStatehouseError,
  isValidCollection,
  isValidId,
  validateCollection,
  validateId,
  validateValue,
} from "../dist/index.js";

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isStatehouseError(err) ? err.code : `untyped: ${String(err)}`;
  }
}

describe("validateValue", () => {
  it("accepts plain JSON and returns its text", () => {
    expect(validateValue({ a: [1, "x", true, null, { b: 2.5 }] })).toBe('{"a":[1,"x",true,null,{"b":2.5}]}');
  });

  it.each([
    ["undefined", undefined],
    ["a function", () => 1],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a BigInt", 10n],
    ["a symbol", Symbol("s")],
    ["a Date", new Date()],
    ["a Map", new Map()],
    ["undefined in an object", { a: undefined }],
    ["a sparse array", new Array(3)],
    ["a __proto__ key", JSON.parse('{"__proto__": {"polluted": true}}')],
  ])("refuses %s with E_VALIDATION", (_name, value) => {
    expect(code(() => validateValue(value))).toBe("E_VALIDATION");
  });

  it("refuses cycles", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(code(() => validateValue(a))).toBe("E_VALIDATION");
  });

  it("allows depth 64 and refuses 65 and 5,000 without overflowing the stack", () => {
    expect(code(() => validateValue(nested(64)))).toBeUndefined();
    expect(code(() => validateValue(nested(65)))).toBe("E_VALIDATION");
    expect(code(() => validateValue(nested(5000)))).toBe("E_VALIDATION");
    expect(DEFAULT_LIMITS.maxDepth).toBe(64);
  });

  it("refuses a value one byte over the size limit, counting UTF-8 bytes", () => {
    const limits = { maxDepth: 64, maxBytes: 100 };
    const exact = "x".repeat(98); // 98 + 2 quotes = 100 bytes
    expect(code(() => validateValue(exact, limits))).toBeUndefined();
    expect(code(() => validateValue(`${exact}x`, limits))).toBe("E_VALIDATION");
    expect(code(() => validateValue("é".repeat(50), limits))).toBe("E_VALIDATION"); // 102 bytes, 52 chars
  });
});

describe("validateId", () => {
  it.each(["global", "ses_01h2x", "a.b", "project:alpha", "x@y+z-1"])("accepts %s", (id) => {
    expect(validateId(id)).toBe(id);
  });

  it.each([
    ["../x"],
    ["/etc/passwd"],
    ["a/../../b"],
    ["..\\x"],
    ["a\u0000b"],
    ["x".repeat(10_000)],
    ["\u2024\u2024"],
    ["\uff0e\uff0e"],
    [".hidden"],
    ["a..b"],
    [""],
    ["-rf"],
  ])("refuses %j with E_INVALID_PATH", (id) => {
    expect(code(() => validateId(id))).toBe("E_INVALID_PATH");
  });
});

describe("deepFreeze", () => {
  it("freezes every level", () => {
    const v = deepFreeze({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen((v.a as { b: unknown[] }).b[1])).toBe(true);
  });
});

describe("isValidId / isValidCollection", () => {
  const accepts = (validate: (v: never) => unknown, value: unknown) => {
    try {
      validate(value as never);
      return true;
    } catch (err) {
      expect(isStatehouseError(err, "E_INVALID_PATH")).toBe(true);
      return false;
    }
  };
  const samples: unknown[] = [
    "a",
    "session-1",
    "x".repeat(200),
    "x".repeat(201),
    "",
    ".hidden",
    "-x",
    "a..b",
    "a/b",
    "a\u0000",
    "é",
    "ok:1@host+x",
    "Upper",
    "snake_case",
    "a".repeat(64),
    "a".repeat(65),
    "1abc",
    42,
    null,
    undefined,
    {},
  ];

  it("answer exactly what validateId and validateCollection accept, without throwing", () => {
    let ids = 0;
    let collections = 0;
    for (const v of samples) {
      expect(isValidId(v), JSON.stringify(v)).toBe(accepts(validateId, v));
      expect(isValidCollection(v), JSON.stringify(v)).toBe(accepts(validateCollection, v));
      if (isValidId(v)) ids++;
      if (isValidCollection(v)) collections++;
    }
    expect(ids).toBeGreaterThan(3);
    expect(collections).toBeGreaterThan(3);
    expect(ids).toBeLessThan(samples.length - 5);
  });
});
