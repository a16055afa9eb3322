import fc from "fast-check";
import { JSONPath } from "jsonpath-plus";
import { afterEach, describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import type { JsonValue } from "../src/json/types.js";
import { runQuery } from "../src/query/index.js";
import { deepFreeze } from "../src/validation.js";

/**
 * TESTPLAN "query safety": the published jsonpath-plus code-execution payloads run no code here
 * (E_INVALID_QUERY or an ordinary answer), and ordinary filters still work. The canary is a
 * global that the payload's code would set, or a call to process.exit; a control run through
 * jsonpath-plus with eval "native" (its unsafe mode) shows that the canary does detect code.
 */
const CANARY = "globalThis.__statehouseCanary='ran'";
const PAYLOADS: { id: string; path: string; json: JsonValue }[] = [
  { id: "CVE-2024-21534 script expression", path: `$[(this.constructor.constructor("${CANARY}")())]`, json: {} },
  {
    id: "CVE-2024-21534 bypass, JSONPath-Plus #226 (1)",
    path: `$[?(var _$_root=[].constructor.constructor("${CANARY}");@root())]`,
    json: { a: "x" },
  },
  {
    id: "JSONPath-Plus #226 (3), __proto__ shadowing",
    path: `$[?(__proto__ = 0; __proto__ = constructor; __proto__ = constructor; __proto__("${CANARY}")())]`,
    json: { x: 1 },
  },
  {
    id: "CVE-2025-1302 (10.2.0)",
    path: `$..[?(p="${CANARY}";a=''[['constructor']][['constructor']](p);a())]`,
    json: { example: true },
  },
  {
    id: "CVE-2025-1302 calling process.exit",
    path: `$..[?(p="process.exit(99)";a=''[['constructor']][['constructor']](p);a())]`,
    json: { example: true },
  },
  {
    id: "CVE-2025-1302, SSTImap form",
    path: `$..[?(j=@root;p="${CANARY}";a=''[['constructor']][['constructor']]('j',p);a(j);true)]`,
    json: { example: true },
  },
  {
    id: "10.3.0 safe-eval bypass through __lookupGetter__",
    path: `$[?(@.toString.__lookupGetter__('__proto__').call(@.toString).constructor("${CANARY}")())]`,
    json: [{ a: 1 }],
  },
  { id: "RFC-style filter calling constructor", path: `$[?@.constructor.constructor("${CANARY}")()]`, json: [{ a: 1 }] },
  { id: "okta DoS payload", path: "$..[?((function a(arr){a([...arr, ...arr])})([1]);)]", json: { nonEmpty: "object" } },
  { id: "function named constructor", path: "$[?constructor(@)]", json: [{ a: 1 }] },
  { id: "function named __proto__", path: "$[?__proto__(@) == 1]", json: [{ a: 1 }] },
];

type G = typeof globalThis & { __statehouseCanary?: string };
const g = globalThis as G;
const realExit = process.exit;

/** Runs `fn` with the canary armed; returns whether code ran and how the call ended. */
function withCanary(fn: () => unknown): { ran: boolean; outcome: "threw" | "returned"; error?: unknown } {
  delete g.__statehouseCanary;
  process.exit = (() => {
    g.__statehouseCanary = "exit";
    throw new Error("process.exit intercepted");
  }) as typeof process.exit;
  try {
    fn();
    return { ran: g.__statehouseCanary !== undefined, outcome: "returned" };
  } catch (error) {
    return { ran: g.__statehouseCanary !== undefined, outcome: "threw", error };
  } finally {
    process.exit = realExit;
    delete g.__statehouseCanary;
  }
}

afterEach(() => {
  process.exit = realExit;
});

describe("query safety: code-execution payloads", () => {
  it.each(PAYLOADS)("$id: runs no code and is refused with E_INVALID_QUERY", ({ path, json }) => {
    const result = withCanary(() => runQuery(json, path));
    expect(result.ran).toBe(false);
    expect(result.outcome).toBe("threw");
    expect(isStatehouseError(result.error, "E_INVALID_QUERY")).toBe(true);
  });

  it("control: the canary detects code execution (jsonpath-plus eval 'native' runs these payloads)", () => {
    const runs = PAYLOADS.filter((p) => p.id !== "okta DoS payload").map((p) =>
      withCanary(() => JSONPath({ path: p.path, json: p.json as object, eval: "native" })),
    );
    expect(runs.filter((r) => r.ran).length).toBeGreaterThanOrEqual(2);
  });

  it("control: jsonpath-plus 10.3 in its default 'safe' mode runs the __lookupGetter__ payload", () => {
    const payload = PAYLOADS.find((p) => p.id.startsWith("10.3.0"))!;
    expect(withCanary(() => JSONPath({ path: payload.path, json: payload.json as object })).ran).toBe(true);
  });

  it("ordinary filters still work", () => {
    const doc = deepFreeze({
      agents: [
        { id: "a1", role: "coder", status: "running", tokens: 1200, tags: ["ts"] },
        { id: "a2", role: "reviewer", status: "idle", tokens: 80 },
        { id: "a3", role: "coder", status: "failed", tokens: 5000, tags: ["py", "ts"] },
      ],
    }) as JsonValue;
    const ids = (q: string) => runQuery(doc, q).map((n) => (n.value as { id: string }).id);
    expect(ids("$.agents[?@.role == 'coder']")).toEqual(["a1", "a3"]);
    expect(ids("$.agents[?@.tokens > 100 && @.status != 'failed']")).toEqual(["a1"]);
    expect(ids("$.agents[?!@.tags]")).toEqual(["a2"]);
    expect(ids("$.agents[?match(@.status, 'run.*|idle')]")).toEqual(["a1", "a2"]);
    expect(ids("$.agents[?search(@.id, '[23]')]")).toEqual(["a2", "a3"]);
    expect(ids("$.agents[?count(@.tags[*]) == 2]")).toEqual(["a3"]);
    expect(ids("$.agents[?length(@.role) == 8]")).toEqual(["a2"]);
    expect(ids("$.agents[?value(@..tags[0]) == 'ts']")).toEqual(["a1"]);
    expect(ids("$.agents[?@.tokens == $.agents[0].tokens]")).toEqual(["a1"]);
  });
});

describe("prototype pollution", () => {
  const snapshot = () => ({
    object: Object.getOwnPropertyNames(Object.prototype).sort().join(),
    array: Object.getOwnPropertyNames(Array.prototype).sort().join(),
    fn: Object.getOwnPropertyNames(Function.prototype).sort().join(),
  });

  const PROTOTYPES: unknown[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype];

  function assertClean(values: unknown[]): void {
    for (const value of values) {
      expect(typeof value).not.toBe("function");
      expect(PROTOTYPES).not.toContain(value);
      expect(value).not.toBe(Object);
      expect(value).not.toBe(Function);
    }
  }

  it("__proto__, constructor and prototype segments never reach a prototype", () => {
    const before = snapshot();
    const plain = deepFreeze({ a: { b: 1 }, list: [1, { c: 2 }], s: "text" }) as JsonValue;
    const queries = [
      "$.__proto__",
      "$['__proto__']",
      "$.constructor",
      "$.constructor.prototype",
      "$['constructor']['prototype']",
      "$.a.__proto__.polluted",
      "$.list.constructor",
      "$.list.length",
      "$.s.length",
      "$.toString",
      "$.hasOwnProperty",
      "$..constructor",
      "$..__proto__",
      "$..prototype",
      "$..['__proto__','constructor','prototype','toString','valueOf']",
      "$[?@.constructor]",
      "$[?@.__proto__]",
      "$..[?length(@.constructor) > 0]",
      "$[?@.constructor.name == 'Object']",
      "$.list[?@.__proto__ != $.__proto__]",
    ];
    for (const q of queries) expect(runQuery(plain, q)).toEqual([]);
    // Both sides are Nothing (no own member), and Nothing == Nothing: every node, none a prototype.
    expect(runQuery(plain, "$..[?@.constructor == @.constructor]")).toEqual(runQuery(plain, "$..*"));
    expect(snapshot()).toEqual(before);
  });

  it("a document's own __proto__ / constructor members are ordinary data", () => {
    const doc = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 2}}}') as JsonValue;
    expect(runQuery(doc, "$.__proto__.polluted")).toEqual([
      { path: "$['__proto__']['polluted']", pointer: "/__proto__/polluted", value: 1 },
    ]);
    expect(runQuery(doc, "$.constructor.prototype.x").map((n) => n.pointer)).toEqual(["/constructor/prototype/x"]);
    expect(runQuery(doc, "$[?@.polluted == 1]").map((n) => n.path)).toEqual(["$['__proto__']"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("0 polluted prototypes over 10,000 fuzzed queries with hostile segments", () => {
    const before = snapshot();
    const hostile = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "length", "a"];
    const segment = fc.oneof(
      fc.constantFrom(...hostile).map((k) => `.${k}`),
      fc.constantFrom(...hostile).map((k) => `['${k}']`),
      fc.constantFrom(...hostile).map((k) => `..${k}`),
      fc.constantFrom("[*]", "..*", "[0]", "[-1]", "[0:2]"),
      fc.constantFrom(...hostile).map((k) => `[?@.${k}]`),
      fc.constantFrom(...hostile).map((k) => `[?@['${k}'] == @.a]`),
    );
    const hostileDoc = JSON.parse(
      '{"__proto__": {"constructor": {"prototype": {"p": 1}}}, "a": [{"constructor": 2, "prototype": [3]}], "toString": "x"}',
    ) as JsonValue;
    const plainDoc = { a: [{ b: 1 }, "s", 3], c: { d: null } } as JsonValue;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (segments, hostileRoot) => {
        const nodes = runQuery(hostileRoot ? hostileDoc : plainDoc, `$${segments.join("")}`);
        assertClean(nodes.map((n) => n.value));
        runs++;
      }),
      { numRuns: 10_000 },
    );
    expect(runs).toBe(10_000);
    expect(snapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });
});
