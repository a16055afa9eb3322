import type { JsonValue, StorageAdapter } from "@statehouse/core";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";

/** Nested arrays (`[[…]]`) of exactly `depth` levels; built iteratively so 5,000 costs nothing. */
export function nestedArrays(depth: number): JsonValue {
  let v: JsonValue = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

/** Nested objects (`{"a":{…}}`) of exactly `depth` levels. */
export function nestedObjects(depth: number): JsonValue {
  let v: JsonValue = {};
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
}

/** Values that are not JSON, each of which must be refused with E_VALIDATION. */
export function nonJsonValues(): Array<[string, unknown]> {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const arrayCycle: unknown[] = [1];
  arrayCycle.push(arrayCycle);
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  class Point {
    x = 1;
  }
  return [
    ["undefined", undefined],
    ["a function", () => 1],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["a BigInt", BigInt(10)],
    ["a symbol", Symbol("s")],
    ["an object with an undefined member", { a: 1, b: undefined }],
    ["an array holding undefined", [1, undefined]],
    ["NaN nested deep", { a: [{ b: [Number.NaN] }] }],
    ["a BigInt nested", { n: BigInt(1) }],
    ["a function nested", [{ f: () => 1 }]],
    ["an object cycle", cycle],
    ["an array cycle", arrayCycle],
    ["a sparse array", sparse],
    ["a Date", new Date(0)],
    ["a Map", new Map([["a", 1]])],
    ["a Set", new Set([1])],
    ["a class instance", new Point()],
    ["an object with a symbol key", { [Symbol("k")]: 1 }],
    ["an own __proto__ key", JSON.parse('{"a":1,"__proto__":{"polluted":true}}')],
    ["arrays nested 65 deep", nestedArrays(65)],
    ["objects nested 65 deep", nestedObjects(65)],
    ["arrays nested 5,000 deep", nestedArrays(5_000)],
    ["objects nested 5,000 deep", nestedObjects(5_000)],
  ];
}

/** Values that must round-trip exactly. */
function roundTripValues(): Array<[string, JsonValue]> {
  return [
    ["null", null],
    ["true", true],
    ["false", false],
    ["zero", 0],
    ["a negative float", -12.5],
    ["the largest double", Number.MAX_VALUE],
    ["the smallest subnormal", Number.MIN_VALUE],
    ["MAX_SAFE_INTEGER", Number.MAX_SAFE_INTEGER],
    ["0.1", 0.1],
    ["an empty string", ""],
    ["a string with NUL and controls", 'a\u0000b\u0001\n\t"\\'],
    ["a non-ASCII string", "héllo, 世界, Ελληνικά"],
    ["astral-plane characters", "\u{1F600}\u{10FFFF}\u{20000}"],
    ["an empty object", {}],
    ["an empty array", []],
    ["keys that need escaping", { "": 1, "a/b": 2, "m~n": 3, é: 4, "\u{1F600}": 5, " ": 6, constructor: 7, prototype: 8 }],
    ["mixed nesting", { a: [1, "two", { three: [null, true, false] }], b: { c: { d: [] } } }],
    ["arrays nested 64 deep", nestedArrays(64)],
    ["objects nested 64 deep", nestedObjects(64)],
    ["a 1 MiB string", "x".repeat(1024 * 1024)],
  ];
}

async function putValue(a: StorageAdapter, id: string, value: unknown): Promise<void> {
  await a.transact((tx) => tx.put("values", id, value as JsonValue));
}

async function expectUnchanged(scope: ClauseScope, a: StorageAdapter, seq: number, what: string): Promise<void> {
  const { expect } = scope;
  const kept = await a.get("values", "keep");
  expect(kept?.revision, `${what}: the existing record's revision`).toBe(1);
  expect(kept?.value, `${what}: the existing record's value`).toEqual({ kept: true });
  expect(await a.get("values", "fresh"), `${what}: nothing stored under a new id`).toBeUndefined();
  expect(await a.count("values"), `${what}: record count`).toBe(1);
  expect(await a.sequence(), `${what}: the change sequence did not move`).toBe(seq);
}

export function registerValues(s: SuiteContext): void {
  s.describeGroup("values", "JSON only, within the limits, refused before anything is stored", [], () => {
    s.clause(
      "non-JSON values (undefined, functions, NaN, Infinity, BigInt, cycles, depth 65 and 5,000, …) give E_VALIDATION and store nothing",
      async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await putValue(a, "keep", { kept: true });
        const seq = await a.sequence();
        for (const [what, value] of nonJsonValues()) {
          expect(await thrownKind(() => putValue(a, "keep", value)), `${what}, over an existing record`).toBe("E_VALIDATION");
          expect(await thrownKind(() => putValue(a, "fresh", value)), `${what}, as a new record`).toBe("E_VALIDATION");
          // Refused inside a transaction that also wrote a valid record: the valid write goes too.
          const mixed = await thrownKind(() =>
            a.transact((tx) => {
              tx.put("values", "fresh", { fine: true });
              tx.put("values", "fresh2", value as JsonValue);
            }),
          );
          expect(mixed, `${what}, after a valid write in the same transaction`).toBe("E_VALIDATION");
          await expectUnchanged(scope, a, seq, what);
        }
      },
    );

    s.clause("values round-trip exactly (depth 64, unicode, escapes, 1 MiB) and come back deep-frozen", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      let i = 0;
      for (const [what, value] of roundTripValues()) {
        const id = `v${i++}`;
        await putValue(a, id, value);
        const back = await a.get("values", id);
        expect(back?.value, what).toEqual(value);
        expect(back?.revision, `${what}: revision`).toBe(1);
        if (typeof back?.value === "object" && back.value !== null) expect(Object.isFrozen(back.value), `${what}: frozen`).toBe(true);
      }
      const page = await a.list("values", { limit: 100 });
      expect(page.records.length).toBe(i);
    });

    s.clause("strings with lone surrogates round-trip (JSON text escapes them)", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      const value = { s: "a\ud800b\udfffc", [`k\ud83d`]: 1 };
      await putValue(a, "lone", value);
      expect((await a.get("values", "lone"))?.value).toEqual(value);
    });

    s.clause("a stored value is independent of the caller's object", async (scope) => {
      const { expect } = scope;
      const a = await scope.open();
      const mine = { list: [1, 2], nested: { n: 1 } };
      await putValue(a, "mine", mine);
      mine.list.push(3);
      mine.nested.n = 99;
      expect((await a.get("values", "mine"))?.value).toEqual({ list: [1, 2], nested: { n: 1 } });
    });

    s.clause(
      "size limit: a record of exactly limits.maxBytes round-trips, one byte more gives E_VALIDATION (maxBytes 1,024)",
      async (scope) => {
        const { expect } = scope;
        const maxBytes = 1024;
        const a = await scope.open({ limits: { maxBytes } });
        await putValue(a, "keep", { kept: true });
        // The limit counts the UTF-8 bytes of the JSON text: two quotes plus the characters.
        const cases: Array<[string, string, string]> = [
          ["ASCII", "x".repeat(maxBytes - 2), "x".repeat(maxBytes - 1)],
          ["two-byte characters", "é".repeat((maxBytes - 2) / 2), `${"é".repeat((maxBytes - 2) / 2)}x`],
          ["four-byte characters", `${"\u{1F600}".repeat(255)}xx`, `${"\u{1F600}".repeat(255)}xxx`],
        ];
        for (const [what, fits, over] of cases) {
          expect(Buffer.byteLength(JSON.stringify(fits)), `${what}: test value size`).toBe(maxBytes);
          const seq = await a.sequence();
          expect(await thrownKind(() => putValue(a, "fresh", over)), `${what}: limit + 1 byte`).toBe("E_VALIDATION");
          await expectUnchanged(scope, a, seq, `${what} over the limit`);
          const id = `fits-${what.replace(/\W+/g, "-")}`;
          await putValue(a, id, fits);
          expect((await a.get("values", id))?.value, `${what}: exactly the limit round-trips`).toEqual(fits);
          await a.transact((tx) => tx.delete("values", id));
        }
        // The limit applies to nested content too, not only to top-level strings.
        const nested = { a: ["x".repeat(maxBytes)] };
        expect(await thrownKind(() => putValue(a, "fresh", nested)), "a nested value over the limit").toBe("E_VALIDATION");
      },
    );

    s.clause("size limit: the default 16 MiB limit + 1 byte gives E_VALIDATION", async (scope) => {
      const { expect } = scope;
      const configured = scope.adapterOptions().limits?.maxBytes;
      const maxBytes = configured ?? 16 * 1024 * 1024;
      const a = await scope.open();
      await putValue(a, "keep", { kept: true });
      const seq = await a.sequence();
      expect(await thrownKind(() => putValue(a, "fresh", "x".repeat(maxBytes - 1))), `${maxBytes} + 1 bytes`).toBe("E_VALIDATION");
      await expectUnchanged(scope, a, seq, "16 MiB + 1");
    });

    s.clause("depth limit: limits.maxDepth 8 refuses depth 9 and accepts depth 8", async (scope) => {
      const { expect } = scope;
      const a = await scope.open({ limits: { maxDepth: 8 } });
      await putValue(a, "keep", { kept: true });
      const seq = await a.sequence();
      expect(await thrownKind(() => putValue(a, "fresh", nestedObjects(9))), "depth 9").toBe("E_VALIDATION");
      await expectUnchanged(scope, a, seq, "depth 9");
      await putValue(a, "eight", nestedArrays(8));
      expect((await a.get("values", "eight"))?.value).toEqual(nestedArrays(8));
    });
  });
}
