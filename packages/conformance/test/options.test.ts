import { CLAUSE_GROUPS, type ConformanceTestApi, runConformanceSuite } from "@statehouse/conformance";
import { describe, expect, it } from "vitest";

function collect(options: { skip?: string[]; sizes?: "quick" | "full" } = {}): string[] {
  const names: string[] = [];
  const depth: string[] = [];
  const test: ConformanceTestApi = {
    describe: (name, fn) => {
      depth.push(name);
      if (depth.length === 2) names.push(name);
      fn();
      depth.pop();
    },
    it: () => undefined,
    expect,
  };
  runConformanceSuite({ name: "options", test, storeUrl: () => "memory:", ...options });
  return names;
}

describe("runConformanceSuite options", () => {
  it("registers exactly the documented clause groups, in order", () => {
    expect(collect().map((n) => n.slice(0, n.indexOf(":")))).toEqual([...CLAUSE_GROUPS]);
  });

  it("refuses a misspelt skip group with E_CONFIG naming the groups", () => {
    let err: unknown;
    try {
      collect({ skip: ["crash-loops: typo"] });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe("E_CONFIG");
    expect((err as Error).message).toContain("crash-loop");
  });

  it("refuses unknown sizes with E_CONFIG", () => {
    expect(() => collect({ sizes: "huge" as "full" })).toThrow(/sizes must be "quick" or "full"/);
  });

  it("names the sizes in the clause titles", () => {
    const titles: string[] = [];
    runConformanceSuite({
      name: "sizes",
      storeUrl: () => "memory:",
      sizes: "full",
      test: { describe: (_n, fn) => fn(), it: (name) => titles.push(name), expect },
    });
    expect(titles).toContain("50 processes × 200 read-modify-write increments in transact: final = N×M = acknowledged, 0 errors");
    expect(titles.some((t) => t.startsWith("1000 rounds of 4 writers"))).toBe(true);
    expect(titles.some((t) => t.startsWith("5000 fast-check runs"))).toBe(true);
  });
});
