import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FIGURES_END, FIGURES_START, readmeFigures, replaceFigures } from "../src/report/readme-figures.js";
import type { RunResult } from "../src/types.js";
import { fixtureRun } from "./fixture.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("the README's figures", () => {
  it("are exactly the ones generated from the committed reports/latest.json", () => {
    const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
    const run = JSON.parse(readFileSync(resolve(ROOT, "reports/latest.json"), "utf8")) as RunResult;
    const start = readme.indexOf(FIGURES_START);
    const end = readme.indexOf(FIGURES_END);
    expect(start, "README.md has the figures markers").toBeGreaterThan(-1);
    expect(readme.slice(start + FIGURES_START.length, end).trim()).toBe(readmeFigures(run).trim());
  });

  it("follow the run: a block rewritten from another run carries that run's numbers", () => {
    const run = fixtureRun();
    const block = readmeFigures(run);
    const get = run.results.find((r) => r.op === "cli-state-get")!;
    expect(block).toContain(run.id);
    expect(block).toMatch(/\| file \| [\d.]+ ms \(([\d.]+)× v2\)/);
    expect(block).toContain(`${(get.stats!.median / run.results.find((r) => r.op === "v2-state-query")!.stats!.median).toFixed(2)}× v2`);
    const readme = `intro\n${FIGURES_START}\nold\n${FIGURES_END}\nrest`;
    expect(replaceFigures(readme, run)).toBe(`intro\n${FIGURES_START}\n${block}\n${FIGURES_END}\nrest`);
    expect(replaceFigures("no markers", run)).toBe("no markers");
  });
});
