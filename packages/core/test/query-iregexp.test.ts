import { describe, expect, it } from "vitest";
import type { JsonValue } from "../src/json/types.js";
import { InvalidQueryError } from "../src/errors.js";
import { compileIRegexp, MAX_MATCH_WORK, MAX_REGEXP_SIZE, translateIRegexp } from "../src/query/i-regexp.js";
import { runQuery } from "../src/query/index.js";

function errorOf(fn: () => unknown): InvalidQueryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidQueryError) return err;
    throw err;
  }
  throw new Error("expected an InvalidQueryError");
}

/** Which of `subjects` match(@, pattern) selects (whole-string match). */
function matching(pattern: string, subjects: JsonValue[]): JsonValue[] {
  return runQuery(subjects, `$[?match(@, ${JSON.stringify(pattern)})]`).map((n) => n.value);
}

function searching(pattern: string, subjects: JsonValue[]): JsonValue[] {
  return runQuery(subjects, `$[?search(@, ${JSON.stringify(pattern)})]`).map((n) => n.value);
}

describe("I-Regexp (RFC 9485) on re2js", () => {
  it("'.' matches any character but \\n and \\r (RFC 9485 §5.3), including U+2028 and astral ones", () => {
    expect(matching("a.b", ["a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\tb", "a😀b", "ab", "a😀😀b"])).toEqual([
      "a\u2028b",
      "a\u2029b",
      "a\tb",
      "a😀b",
    ]);
    expect(translateIRegexp("a.b")).toBe("a[^\\x{a}\\x{d}]b");
  });

  it("match() is anchored at both ends, search() is not", () => {
    expect(matching("b+", ["b", "abb", "bbc"])).toEqual(["b"]);
    expect(searching("b+", ["b", "abb", "bbc", "ac"])).toEqual(["b", "abb", "bbc"]);
    // An alternation stays inside the anchors: not (^a)|(b$).
    expect(matching("a|b", ["a", "b", "ab", "ba"])).toEqual(["a", "b"]);
  });

  it("treats ^ and $ as anchors, as RFC 9485's ECMAScript mapping and the compliance suite do", () => {
    expect(matching("^ab.*", ["abc", "xab"])).toEqual(["abc"]);
    expect(searching("^ab", ["abc", "xab"])).toEqual(["abc"]);
    expect(searching("bc$", ["abc", "bcx"])).toEqual(["abc"]);
  });

  it("escapes RE2 metacharacters that are ordinary I-Regexp characters", () => {
    expect(matching("a/b", ["a/b"])).toEqual(["a/b"]);
    expect(matching("#!%&'", ["#!%&'"])).toEqual(["#!%&'"]);
    expect(matching("\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\\\\\^\\-", [".*+?()[]{}|\\^-", "x"])).toEqual([".*+?()[]{}|\\^-"]);
    expect(matching("[$^.*]+", ["$^.*", "a"])).toEqual(["$^.*"]);
  });

  it("supports classes, ranges, negation, escapes and Unicode categories", () => {
    expect(matching("[a-c\\-]+", ["abc-", "abd"])).toEqual(["abc-"]);
    expect(matching("[-a]+", ["-a-"])).toEqual(["-a-"]);
    expect(matching("[a-]+", ["a-a"])).toEqual(["a-a"]);
    expect(matching("[^a-c]", ["d", "a", "\n"])).toEqual(["d", "\n"]);
    expect(matching("\\p{Lu}\\p{Ll}*", ["Hello", "hello", "Émile"])).toEqual(["Hello", "Émile"]);
    expect(matching("\\P{L}+", ["123", "12a"])).toEqual(["123"]);
    expect(matching("[\\p{Nd}x]+", ["1x2", "1y"])).toEqual(["1x2"]);
    expect(matching("\\n\\r\\t", ["\n\r\t"])).toEqual(["\n\r\t"]);
    expect(matching("[😀-😂]", ["😁", "😃"])).toEqual(["😁"]);
  });

  it("supports counted repetition within the size limit", () => {
    expect(matching("a{2,3}", ["a", "aa", "aaa", "aaaa"])).toEqual(["aa", "aaa"]);
    expect(matching("a{2,}", ["a", "aa", "aaaaa"])).toEqual(["aa", "aaaaa"]);
    expect(matching("(ab){2}", ["abab", "ab"])).toEqual(["abab"]);
    expect(matching("[0-9a-f]{8}-[0-9a-f]{4}", ["deadbeef-0123", "deadbeef-012"])).toEqual(["deadbeef-0123"]);
    expect(matching("x{300}", ["x".repeat(300), "x".repeat(301)])).toEqual(["x".repeat(300)]);
  });

  it("refuses the query (limit error) for a valid pattern too large to run, from the query or the document", () => {
    for (const pattern of ["x{1000}", "x{1001}", "(x{100}){100}", "\\p{L}{100}", `(a|b){${"9".repeat(30)}}`]) {
      const err = errorOf(() => runQuery(["x"], `$[?match(@, ${JSON.stringify(pattern)})]`));
      expect(err.details, pattern).toMatchObject({ reason: "limit", limit: "regexpSize", max: MAX_REGEXP_SIZE });
      expect(err.message).toMatch(/refused: its regular expression expands to/);
    }
    const doc = [{ s: "x", p: "y{500}" }];
    expect(errorOf(() => runQuery(doc, "$[?search(@.s, @.p)]")).details.limit).toBe("regexpSize");
  });

  it("refuses a single match too large to interrupt (string length × pattern size)", () => {
    const long = "ab".repeat(10_000);
    expect(matching("[ab]{99}", ["ab".repeat(50)])).toHaveLength(0);
    const err = errorOf(() => runQuery([long], "$[?search(@, '[ab]{99}c')]"));
    expect(err.details).toMatchObject({ reason: "limit", limit: "regexpWork", max: MAX_MATCH_WORK });
    // The same string with a small pattern is fine.
    expect(searching("b+a", [long])).toEqual([long]);
  });

  it("an invalid I-Regexp makes match() and search() false, not an error", () => {
    const invalid = [
      "\\d",
      "\\w+",
      "\\s",
      "(?:a)",
      "(?i)a",
      "a*?",
      "a**",
      "a{2,1}",
      "[b-a]",
      "[]",
      "[^]",
      "(",
      ")",
      "a{",
      "\\1",
      "(a)\\1",
      "\\p{IsBasicLatin}",
      "\\p{Xx}",
      "[a-\\p{L}]",
      "\\uD800",
      "\\x41",
      "[[:alpha:]]",
    ];
    for (const pattern of invalid) {
      expect(compileIRegexp(pattern), pattern).toBeNull();
      expect(matching(pattern, ["a", "d", "1", " ", "A"]), pattern).toEqual([]);
      expect(searching(pattern, ["a", "d", "1", " ", "A"]), pattern).toEqual([]);
    }
    // A lone surrogate cannot even be written in a JSONPath string literal; the translator refuses it too.
    expect(compileIRegexp("a\ud800")).toBeNull();
    expect(compileIRegexp("[\udc00]")).toBeNull();
  });

  it("is false when either argument is not a string", () => {
    const doc = [
      { s: 1, p: "1" },
      { s: "1", p: 1 },
      { s: "1", p: "1" },
      { s: null, p: null },
    ];
    expect(runQuery(doc, "$[?match(@.s, @.p)]").map((n) => n.path)).toEqual(["$[2]"]);
    expect(runQuery(doc, "$[?search(@.s, @.missing)]")).toEqual([]);
  });

  it("compiles each pattern once (cached)", () => {
    const a = compileIRegexp("cache-me+");
    expect(a).not.toBeNull();
    expect(compileIRegexp("cache-me+")).toBe(a);
  });
});
