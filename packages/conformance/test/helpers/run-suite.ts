import { type ConformanceSuiteOptions, type ConformanceTestFn, runConformanceSuite } from "@statehouse/conformance";
import { expect } from "vitest";

export interface Outcome {
  readonly name: string;
  readonly status: "passed" | "failed" | "skipped";
  readonly error?: string;
  readonly reason?: string;
}

/**
 * Runs the suite through a small recording framework (a describe/it that collect, vitest's
 * expect): only the clauses whose full name contains one of `groups`, recording each outcome.
 */
export async function runSuite(
  scheme: string,
  groups: readonly string[],
  extra: Partial<Pick<ConformanceSuiteOptions, "childImports" | "adapterOptions">> = {},
): Promise<Outcome[]> {
  const tests: Array<{ name: string; fn: ConformanceTestFn }> = [];
  const path: string[] = [];
  const afterAll: Array<() => unknown> = [];
  runConformanceSuite({
    name: scheme,
    storeUrl: (dir) => `${scheme}:${dir}`,
    ...extra,
    test: {
      describe: (name, fn) => {
        path.push(name);
        fn();
        path.pop();
      },
      it: (name, fn) => {
        tests.push({ name: [...path, name].join(" > "), fn });
      },
      expect,
      afterAll: (fn) => {
        afterAll.push(fn);
      },
    },
  });
  const outcomes: Outcome[] = [];
  const SKIP = Symbol("skip");
  for (const t of tests) {
    if (!groups.some((g) => t.name.includes(`> ${g}: `))) continue;
    let reason: string | undefined;
    try {
      await t.fn({
        skip: (note: string) => {
          reason = note;
          throw SKIP;
        },
      });
      outcomes.push({ name: t.name, status: "passed" });
    } catch (err) {
      if (err === SKIP) outcomes.push({ name: t.name, status: "skipped", ...(reason !== undefined && { reason }) });
      else outcomes.push({ name: t.name, status: "failed", error: String((err as Error)?.message ?? err).slice(0, 300) });
    }
  }
  for (const fn of afterAll) await fn();
  return outcomes;
}
