import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import { formatPointer, getAt, parsePointer } from "../src/json/index.js";
import type { JsonValue } from "../src/json/types.js";
import { deepFreeze } from "../src/validation.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isStatehouseError(err)) return err.code;
    throw err;
  }
  return "no error";
}

// RFC 6901 section 5.
const RFC_DOC = deepFreeze({
  foo: ["bar", "baz"],
  "": 0,
  "a/b": 1,
  "c%d": 2,
  "e^f": 3,
  "g|h": 4,
  "i\\j": 5,
  'k"l': 6,
  " ": 7,
  "m~n": 8,
} as JsonValue);

describe("parsePointer / formatPointer", () => {
  it("parses the RFC 6901 examples", () => {
    expect(parsePointer("")).toEqual([]);
    expect(parsePointer("/foo")).toEqual(["foo"]);
    expect(parsePointer("/foo/0")).toEqual(["foo", "0"]);
    expect(parsePointer("/")).toEqual([""]);
    expect(parsePointer("/a~1b")).toEqual(["a/b"]);
    expect(parsePointer("/m~0n")).toEqual(["m~n"]);
    expect(parsePointer("//")).toEqual(["", ""]);
    expect(parsePointer("/a/")).toEqual(["a", ""]);
  });

  it("unescapes ~1 before ~0, so ~01 is a literal ~1", () => {
    expect(parsePointer("/~01")).toEqual(["~1"]);
    expect(parsePointer("/~00")).toEqual(["~0"]);
    expect(parsePointer("/~1~0")).toEqual(["/~"]);
  });

  it("refuses pointers that do not start with / and bad escapes", () => {
    for (const bad of ["foo", "#/foo", " /a", "~1", "/~", "/~2", "/a~", "/~a"]) {
      expect(
        codeOf(() => parsePointer(bad)),
        bad,
      ).toBe("E_INVALID_PATH");
    }
    expect(codeOf(() => parsePointer(5 as unknown as string))).toBe("E_INVALID_PATH");
  });

  it("refuses __proto__ anywhere, but not constructor or prototype", () => {
    for (const bad of ["/__proto__", "/a/__proto__", "/__proto__/x", "/0/__proto__/polluted"]) {
      expect(
        codeOf(() => parsePointer(bad)),
        bad,
      ).toBe("E_INVALID_PATH");
    }
    expect(parsePointer("/constructor/prototype")).toEqual(["constructor", "prototype"]);
    expect(parsePointer("/__proto")).toEqual(["__proto"]);
  });

  it("names the pointer and the problem in its message", () => {
    expect(() => parsePointer("a/b")).toThrow(/"a\/b".*start with "\/"/);
    expect(() => parsePointer("/x/__proto__")).toThrow(/"\/x\/__proto__".*not allowed/);
  });

  it("formats tokens and round-trips", () => {
    expect(formatPointer([])).toBe("");
    expect(formatPointer(["a/b", "m~n", "", "0"])).toBe("/a~1b/m~0n//0");
    for (const tokens of [["~1"], ["/", "~", "~/"], ["é", "日本", "😀"], [""]]) {
      expect(parsePointer(formatPointer(tokens))).toEqual(tokens);
    }
    expect(codeOf(() => formatPointer(["a", "__proto__"]))).toBe("E_INVALID_PATH");
  });
});

describe("getAt", () => {
  it("resolves every RFC 6901 example", () => {
    const cases: Array<[string, JsonValue]> = [
      ["", RFC_DOC],
      ["/foo", ["bar", "baz"]],
      ["/foo/0", "bar"],
      ["/", 0],
      ["/a~1b", 1],
      ["/c%d", 2],
      ["/e^f", 3],
      ["/g|h", 4],
      ["/i\\j", 5],
      ['/k"l', 6],
      ["/ ", 7],
      ["/m~0n", 8],
    ];
    for (const [pointer, expected] of cases) expect(getAt(RFC_DOC, pointer), pointer).toEqual(expected);
    expect(getAt(RFC_DOC, "")).toBe(RFC_DOC);
  });

  it("returns undefined where nothing is: missing member, index past the end, member of a scalar", () => {
    const doc = deepFreeze({ a: { b: 1 }, arr: [10, 20], s: "text", n: null } as JsonValue);
    expect(getAt(doc, "/missing")).toBeUndefined();
    expect(getAt(doc, "/a/c")).toBeUndefined();
    expect(getAt(doc, "/arr/2")).toBeUndefined();
    expect(getAt(doc, "/arr/99999999999999999999999")).toBeUndefined();
    expect(getAt(doc, "/a/b/c")).toBeUndefined();
    expect(getAt(doc, "/s/0")).toBeUndefined();
    expect(getAt(doc, "/s/length")).toBeUndefined();
    expect(getAt(doc, "/n/x")).toBeUndefined();
    expect(getAt(doc, "/missing/01")).toBeUndefined();
    expect(getAt(doc, "/n")).toBeNull();
  });

  it("sees own properties only", () => {
    const doc = deepFreeze({ a: 1, arr: [1] } as JsonValue);
    for (const p of ["/constructor", "/toString", "/hasOwnProperty", "/valueOf", "/a/constructor", "/constructor/prototype"]) {
      expect(getAt(doc, p), p).toBeUndefined();
    }
    expect(codeOf(() => getAt(doc, "/arr/length"))).toBe("E_INVALID_PATH");
    const own = deepFreeze(JSON.parse('{"constructor": {"prototype": 7}, "toString": "s"}') as JsonValue);
    expect(getAt(own, "/constructor/prototype")).toBe(7);
    expect(getAt(own, "/toString")).toBe("s");
  });

  it("treats numeric tokens on objects as ordinary keys", () => {
    const doc = deepFreeze({ "0": "zero", "01": "leading", "-": "dash", "1e0": "exp" } as JsonValue);
    expect(getAt(doc, "/0")).toBe("zero");
    expect(getAt(doc, "/01")).toBe("leading");
    expect(getAt(doc, "/-")).toBe("dash");
    expect(getAt(doc, "/1e0")).toBe("exp");
  });

  it("refuses array tokens that are not indices: leading zeros, -, signs, exponents, words", () => {
    const doc = deepFreeze({ arr: ["a", "b", "c"] } as JsonValue);
    expect(getAt(doc, "/arr/0")).toBe("a");
    expect(getAt(doc, "/arr/2")).toBe("c");
    for (const p of [
      "/arr/01",
      "/arr/00",
      "/arr/-",
      "/arr/-1",
      "/arr/+1",
      "/arr/1e0",
      "/arr/1.0",
      "/arr/ 1",
      "/arr/",
      "/arr/x",
      "/arr/0x1",
    ]) {
      expect(
        codeOf(() => getAt(doc, p)),
        p,
      ).toBe("E_INVALID_PATH");
    }
    expect(() => getAt(doc, "/arr/01")).toThrow(/"01" is not an array index/);
    expect(() => getAt(doc, "/arr/-")).toThrow(/after the last element/);
  });
});
