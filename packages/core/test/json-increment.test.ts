import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import { incrementAt } from "../src/json/index.js";
import type { JsonValue } from "../src/json/types.js";
import { deepFreeze } from "../src/validation.js";

const frozen = (v: unknown) => deepFreeze(v as JsonValue);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isStatehouseError(err)) return err.code;
    throw err;
  }
  return "no error";
}

describe("incrementAt", () => {
  it("adds 1 by default, or the given amount, and returns the new number", () => {
    const doc = frozen({ n: 5, other: { x: 1 } });
    const r = incrementAt(doc, "/n");
    expect(r).toEqual({ document: { n: 6, other: { x: 1 } }, value: 6 });
    expect((r.document as any).other).toBe((doc as any).other);
    expect(doc).toEqual({ n: 5, other: { x: 1 } });
    expect(incrementAt(doc, "/n", -10).value).toBe(-5);
    expect(incrementAt(doc, "/n", 0.5).value).toBe(5.5);
    expect(incrementAt(frozen({ f: 0.1 }), "/f", 0.2).value).toBe(0.1 + 0.2);
  });

  it("counts a missing value as 0 and creates missing intermediates as objects", () => {
    expect(incrementAt(frozen({}), "/toolCalls")).toEqual({ document: { toolCalls: 1 }, value: 1 });
    expect(incrementAt(frozen({ s: {} }), "/s/a/b", 3)).toEqual({ document: { s: { a: { b: 3 } } }, value: 3 });
    expect(incrementAt(frozen({ list: [1] }), "/list/1")).toEqual({ document: { list: [1, 1] }, value: 1 });
    expect(incrementAt(frozen({ list: [1] }), "/list/0", 2)).toEqual({ document: { list: [3] }, value: 3 });
    expect(incrementAt(frozen(7), "")).toEqual({ document: 8, value: 8 });
    // An own "constructor" member is counted, the inherited one is not seen.
    expect(incrementAt(frozen({}), "/constructor").value).toBe(1);
    expect(incrementAt(frozen({ constructor: 41 }), "/constructor").value).toBe(42);
  });

  it("refuses a value that is not a number with a ValidationError naming the pointer", () => {
    for (const v of ["1", null, true, [], {}]) {
      expect(
        codeOf(() => incrementAt(frozen({ v }), "/v")),
        JSON.stringify(v),
      ).toBe("E_VALIDATION");
    }
    expect(() => incrementAt(frozen({ v: "1" }), "/v")).toThrow(/"\/v".*a string, not a number/);
  });

  it("refuses an increment that is not a finite number", () => {
    for (const by of [Number.NaN, Number.POSITIVE_INFINITY, "1", null]) {
      expect(
        codeOf(() => incrementAt(frozen({}), "/n", by as number)),
        String(by),
      ).toBe("E_VALIDATION");
    }
  });

  it("keeps integer arithmetic exact: refuses results beyond the safe range", () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(incrementAt(frozen({ n: max - 1 }), "/n").value).toBe(max);
    expect(codeOf(() => incrementAt(frozen({ n: max }), "/n"))).toBe("E_VALIDATION");
    expect(codeOf(() => incrementAt(frozen({ n: -max }), "/n", -1))).toBe("E_VALIDATION");
    expect(codeOf(() => incrementAt(frozen({ n: 1e20 }), "/n"))).toBe("E_VALIDATION");
    expect(codeOf(() => incrementAt(frozen({ n: 0 }), "/n", 2 ** 60))).toBe("E_VALIDATION");
    expect(() => incrementAt(frozen({ n: max }), "/n")).toThrow(/safe integer range/);
    expect(codeOf(() => incrementAt(frozen({ n: 1.7e308 }), "/n", 1.7e308))).toBe("E_VALIDATION");
  });

  it("refuses results outside the safe range when an operand is fractional (0.5 + 2^60 is 2^60)", () => {
    expect(codeOf(() => incrementAt(frozen({ n: 0.5 }), "/n", 2 ** 60))).toBe("E_VALIDATION");
    expect(codeOf(() => incrementAt(frozen({ n: 2 ** 60 }), "/n", 0.5))).toBe("E_VALIDATION");
    expect(codeOf(() => incrementAt(frozen({ n: 1e300 }), "/n", 0.5))).toBe("E_VALIDATION");
    expect(codeOf(() => incrementAt(frozen({ n: -(2 ** 53) }), "/n", -0.5))).toBe("E_VALIDATION");
    expect(() => incrementAt(frozen({ n: 0.5 }), "/n", 2 ** 60)).toThrow(/safe integer range/);
    // Fractions inside the safe range are summed as before.
    expect(incrementAt(frozen({ n: 0.25 }), "/n", 0.5).value).toBe(0.75);
    expect(incrementAt(frozen({ n: Number.MAX_SAFE_INTEGER - 1.5 }), "/n", 0.5).value).toBe(Number.MAX_SAFE_INTEGER - 1);
  });

  it("refuses malformed pointers, __proto__, - and scalars in the way with InvalidPathError", () => {
    const doc = frozen({ list: [1], s: "x" });
    for (const p of ["n", "/__proto__", "/__proto__/n", "/list/-", "/list/01", "/list/2", "/s/n"]) {
      expect(
        codeOf(() => incrementAt(doc, p)),
        p,
      ).toBe("E_INVALID_PATH");
    }
  });
});
