import { describe, expect, it } from "vitest";
import { InvalidQueryError, isStatehouseError } from "../src/errors.js";
import type { JsonValue } from "../src/json/types.js";
import {
  compileQuery,
  DEFAULT_MAX_NODES,
  isJsonPath,
  MAX_CACHED_EXPRESSION_LENGTH,
  QUERY_CACHE_SIZE,
  runQuery,
} from "../src/query/index.js";
import { deepFreeze } from "../src/validation.js";

function errorOf(fn: () => unknown): InvalidQueryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidQueryError) return err;
    throw err;
  }
  throw new Error("expected an InvalidQueryError");
}

const STORE = deepFreeze({
  store: {
    book: [
      { title: "Sayings", price: 8.95, tags: ["quotes"] },
      { title: "Sword", price: 12.99, isbn: "0-553" },
      { title: "Moby", price: 8.99, isbn: "0-554" },
    ],
    bicycle: { color: "red", price: 19.95 },
  },
  "a/b": { "m~n": 1, "it's": 2, "back\\slash": 3, "tab\there": 4, "nul\u0000": 5, "\u001f": 6 },
}) as JsonValue;

describe("results: normalized paths and JSON pointers", () => {
  it("gives each node's RFC 9535 normalized path and RFC 6901 pointer", () => {
    expect(runQuery(STORE, "$.store.book[1].title")).toEqual([
      { path: "$['store']['book'][1]['title']", pointer: "/store/book/1/title", value: "Sword" },
    ]);
    expect(runQuery(STORE, "$.store.book[?@.price < 9].title")).toEqual([
      { path: "$['store']['book'][0]['title']", pointer: "/store/book/0/title", value: "Sayings" },
      { path: "$['store']['book'][2]['title']", pointer: "/store/book/2/title", value: "Moby" },
    ]);
    expect(runQuery(STORE, "$")).toEqual([{ path: "$", pointer: "", value: STORE }]);
  });

  it("resolves negative indexes to the real index in paths, on the fast path too", () => {
    expect(runQuery(STORE, "$.store.book[-1].title")).toEqual([
      { path: "$['store']['book'][2]['title']", pointer: "/store/book/2/title", value: "Moby" },
    ]);
    expect(runQuery(STORE, "$.store.book[-4]")).toEqual([]);
    expect(runQuery(STORE, "$.store.book[-3:-1].price").map((n) => n.path)).toEqual([
      "$['store']['book'][0]['price']",
      "$['store']['book'][1]['price']",
    ]);
  });

  it("escapes ~ and / in pointers (~0, ~1) and quotes, backslashes and controls in paths", () => {
    const nodes = runQuery(STORE, "$['a/b'].*");
    expect(nodes.map((n) => [n.path, n.pointer, n.value])).toEqual([
      ["$['a/b']['m~n']", "/a~1b/m~0n", 1],
      ["$['a/b']['it\\'s']", "/a~1b/it's", 2],
      ["$['a/b']['back\\\\slash']", "/a~1b/back\\slash", 3],
      ["$['a/b']['tab\\there']", "/a~1b/tab\there", 4],
      ["$['a/b']['nul\\u0000']", "/a~1b/nul\u0000", 5],
      ["$['a/b']['\\u001f']", "/a~1b/\u001f", 6],
    ]);
    expect(runQuery({ "~01": { "/": 7 } }, "$..*")).toEqual([
      { path: "$['~01']", pointer: "/~001", value: { "/": 7 } },
      { path: "$['~01']['/']", pointer: "/~001/~1", value: 7 },
    ]);
  });

  it("every pointer leads back to its node's value", () => {
    const nodes = runQuery(STORE, "$..*");
    expect(nodes.length).toBe(25);
    for (const node of nodes) {
      let cursor: JsonValue = STORE;
      for (const token of node.pointer.split("/").slice(1)) {
        const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
        cursor = (cursor as Record<string, JsonValue>)[key]!;
      }
      expect(cursor).toBe(node.value);
    }
  });

  it("returns the document's own values, and never changes the document", () => {
    const doc = { list: [{ a: 1 }, { a: 2 }] };
    const before = JSON.stringify(doc);
    const [node] = runQuery(doc, "$.list[1]");
    expect(node!.value).toBe(doc.list[1]);
    runQuery(doc, "$..[?@.a > 0]");
    expect(JSON.stringify(doc)).toBe(before);
  });
});

describe("syntax errors", () => {
  const cases: [string, number][] = [
    ["$.store[", 8],
    ["$.store.book[?@.price <]", 23],
    ["$[?(@.a == 1]", 12],
    ["$..", 3],
    [" $", 0],
    ["$ ", 1],
    ["$[01]", 2],
    ["$[?@.a = 1]", 7],
    ["$[?foo(@)]", 3],
    ["$[?length(@.*) == 1]", 10],
    ["$[?@.* == 1]", 3],
    ["$[?match(@, 'a') == true]", 3],
    ["$['\\x']", 3],
    ["$[9007199254740992]", 2],
  ];

  it.each(cases)("%s fails with E_INVALID_QUERY at offset %i", (expression, offset) => {
    const err = errorOf(() => compileQuery(expression));
    expect(err.code).toBe("E_INVALID_QUERY");
    expect(err.details.reason).toBe("syntax");
    expect(err.details.offset).toBe(offset);
    expect(err.message).toContain(`character ${offset}`);
    expect(isStatehouseError(err, "E_INVALID_QUERY")).toBe(true);
  });

  it("says what was expected", () => {
    expect(errorOf(() => compileQuery("$.store[")).message).toMatch(/expected a selector/);
    expect(errorOf(() => compileQuery("$[?foo(@)]")).message).toMatch(/unknown function 'foo'/);
    expect(errorOf(() => compileQuery("$[?@.* == 1]")).message).toMatch(/singular query/);
  });

  it("refuses a non-string expression with a typed error", () => {
    expect(errorOf(() => compileQuery(42 as unknown as string)).code).toBe("E_INVALID_QUERY");
  });
});

describe("compiled-query cache", () => {
  it("returns the same CompiledQuery object for a repeated expression", () => {
    const a = compileQuery("$.store.book[?@.price > 10].title");
    const b = compileQuery("$.store.book[?@.price > 10].title");
    expect(b).toBe(a);
    expect(a.expression).toBe("$.store.book[?@.price > 10].title");
    expect(a.run(STORE).map((n) => n.value)).toEqual(["Sword"]);
  });

  it("evicts the least recently used expression beyond its capacity", () => {
    const first = compileQuery("$.cache.first");
    const kept = compileQuery("$.cache.kept");
    for (let i = 0; i < QUERY_CACHE_SIZE - 2; i++) {
      compileQuery(`$.cache.filler[${i}]`);
      if (i % 100 === 0) compileQuery("$.cache.kept"); // keeps it recent
    }
    compileQuery("$.cache.oneMore");
    expect(compileQuery("$.cache.kept")).toBe(kept);
    expect(compileQuery("$.cache.first")).not.toBe(first);
  });

  it("does not cache very long expressions (bounded memory), but still runs them", () => {
    const long = `$[?${Array.from({ length: 400 }, (_, i) => `@.k == ${i}`).join(" || ")}]`;
    expect(long.length).toBeGreaterThan(MAX_CACHED_EXPRESSION_LENGTH);
    expect(compileQuery(long)).not.toBe(compileQuery(long));
    expect(runQuery([{ k: 399 }, { k: 400 }], long).map((n) => n.path)).toEqual(["$[0]"]);
  });
});

describe("isJsonPath", () => {
  it("is true for text starting with $, false for pointers and other text", () => {
    expect(isJsonPath("$")).toBe(true);
    expect(isJsonPath("$.a")).toBe(true);
    expect(isJsonPath("/a/0")).toBe(false);
    expect(isJsonPath("")).toBe(false);
    expect(isJsonPath(" $.a")).toBe(false);
  });
});

describe("limits options", () => {
  it("documents a positive default node budget", () => {
    expect(DEFAULT_MAX_NODES).toBeGreaterThan(0);
  });

  it("refuses nonsensical limits with a typed error, on every path", () => {
    for (const expression of ["$.a", "$..a"]) {
      for (const limits of [{ maxNodes: 0 }, { maxNodes: -1 }, { maxMillis: Number.NaN }, { maxMillis: Infinity }]) {
        const err = errorOf(() => runQuery({ a: 1 }, expression, limits));
        expect(err.details.reason).toBe("options");
      }
    }
  });

  it("aborts at maxNodes with reason 'limit' and a clear message", () => {
    const doc = { list: Array.from({ length: 100 }, (_, i) => i) };
    expect(runQuery(doc, "$.list[*]", { maxNodes: 101 })).toHaveLength(100);
    const err = errorOf(() => runQuery(doc, "$.list[*]", { maxNodes: 50 }));
    expect(err.code).toBe("E_INVALID_QUERY");
    expect(err.details).toMatchObject({ reason: "limit", limit: "maxNodes", max: 50, expression: "$.list[*]" });
    expect(err.message).toMatch(/aborted.*visited more than 50 nodes/);
  });
});
