import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import type { JsonValue } from "../src/json/types.js";
import { compileQuery } from "../src/query/index.js";

/**
 * The RFC 9535 JSONPath Compliance Test Suite (jsonpath-standard/jsonpath-compliance-test-suite,
 * BSD-2; see fixtures/jsonpath-cts/LICENSE and NOTICE), run case by case.
 */
interface CtsCase {
  name: string;
  selector: string;
  document?: JsonValue;
  result?: JsonValue[];
  result_paths?: string[];
  results?: JsonValue[][];
  results_paths?: string[][];
  invalid_selector?: boolean;
}

const cts = JSON.parse(readFileSync(new URL("./fixtures/jsonpath-cts/cts.json", import.meta.url), "utf8")) as {
  tests: CtsCase[];
};

/**
 * Cases known not to pass, by name, with the reason. Empty: every case passes. A case that
 * starts failing is not in this list, so it fails the suite.
 */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map<string, string>([]);

type Outcome = { ok: true } | { ok: false; why: string };

function runCase(c: CtsCase): Outcome {
  if (c.invalid_selector) {
    try {
      compileQuery(c.selector);
    } catch (err) {
      if (isStatehouseError(err, "E_INVALID_QUERY")) return { ok: true };
      return { ok: false, why: `threw a non-query error: ${String(err)}` };
    }
    return { ok: false, why: "accepted an invalid selector" };
  }
  let nodes: { path: string; value: JsonValue }[];
  try {
    // Correctness only: the time limit is generous, so a loaded machine (the first regex compiled
    // took over 40 ms at load 30) cannot turn a slow case into a failure. Budgets have their own tests.
    nodes = compileQuery(c.selector).run(c.document as JsonValue, { maxMillis: 10_000 });
  } catch (err) {
    return { ok: false, why: `threw ${String(err)}` };
  }
  const values = nodes.map((n) => n.value);
  const paths = nodes.map((n) => n.path);
  const expected = c.result !== undefined ? [c.result] : (c.results ?? []);
  const expectedPaths = c.result_paths !== undefined ? [c.result_paths] : (c.results_paths ?? []);
  for (let i = 0; i < expected.length; i++) {
    const sameValues = JSON.stringify(values) === JSON.stringify(expected[i]) && deepEqual(values, expected[i]!);
    const samePaths = expectedPaths[i] === undefined || JSON.stringify(paths) === JSON.stringify(expectedPaths[i]);
    if (sameValues && samePaths) return { ok: true };
  }
  return { ok: false, why: `got ${JSON.stringify(values)} at ${JSON.stringify(paths)}` };
}

function deepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toStrictEqual(b);
    return true;
  } catch {
    return false;
  }
}

describe("RFC 9535 compliance test suite", () => {
  it("passes every case, or the case is a listed known failure", () => {
    const failures: string[] = [];
    let passed = 0;
    for (const c of cts.tests) {
      const outcome = runCase(c);
      if (outcome.ok) passed++;
      else if (!KNOWN_FAILURES.has(c.name)) failures.push(`${c.name} — ${c.selector} — ${outcome.why}`);
    }
    console.log(`RFC 9535 CTS: ${passed}/${cts.tests.length} passed`);
    expect(cts.tests.length).toBe(703);
    expect(failures).toEqual([]);
    expect(passed + KNOWN_FAILURES.size).toBe(cts.tests.length);
  });

  it("produces the suite's normalized paths for every result", () => {
    let checked = 0;
    for (const c of cts.tests) {
      if (c.invalid_selector || c.result_paths === undefined || KNOWN_FAILURES.has(c.name)) continue;
      const // Correctness only: the time limit is generous, so a loaded machine (the first regex compiled
        // took over 40 ms at load 30) cannot turn a slow case into a failure. Budgets have their own tests.
        nodes = compileQuery(c.selector).run(c.document as JsonValue, { maxMillis: 10_000 });
      expect(nodes.map((n) => n.path)).toEqual(c.result_paths);
      checked++;
    }
    expect(checked).toBeGreaterThan(400);
  });
});
