import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/report/markdown.js";
import { writePathRows } from "../src/report/write-path.js";
import { floorKey } from "../src/scenario.js";
import { loadTargets } from "../src/targets.js";
import { result, run } from "./helpers.js";

const floor = (name: string, samples: number[]) =>
  result(floorKey(name, 1024), samples, { op: `floor:${name}`, adapter: "floor", params: { bytes: 1024 } });

describe("the report's write path section", () => {
  const oneOp = floor("sqlite-upsert-normal", [0.01, 0.01, 0.01]);
  const sameWork = floor("sqlite-update-same-work-normal", [0.05, 0.05, 0.05]);
  const update = result("sqlite·relaxed·state-update·", [0.2, 0.2, 0.2], { floor: oneOp.key, ratio: 20 });
  // A result without a same-work floor in the run, and a kind of write that has none at all.
  const create = result("lmdb·strict·session-create·", [1, 1, 1], { floor: floorKey("lmdb-put-flushed", 1024) });
  const docSet = result("sqlite·relaxed·doc-set·", [0.3, 0.3, 0.3], { floor: oneOp.key });
  // A sweep's session create (another scenario, another store size): its own section, not this one.
  const sweep = result("lmdb·strict·session-create·sessions=10000", [2, 2, 2], { scenario: "session-count", params: { sessions: 10000 } });
  const r = run("2026-12-08T03-00-00Z-abc1234", [oneOp, sameWork, update, create, docSet, sweep]);

  it("pairs each state update and session create of the operation scenarios with its adapter's same-work floor, from the run's medians", () => {
    const rows = writePathRows(r);
    expect(rows.map((w) => w.result.key)).toEqual([update.key, create.key]);
    expect(rows[0]!.sameWork?.key).toBe(sameWork.key);
    expect(rows[0]!.oneOp?.key).toBe(oneOp.key);
    expect(rows[0]!.sameWorkRatio).toBeCloseTo(4, 6);
    expect(rows[1]!.sameWork).toBeUndefined();
    expect(rows[1]!.sameWorkRatio).toBeUndefined();
  });

  it("renders the row with both floors, both ratios and what statehouse adds above the same-work floor", () => {
    const md = renderMarkdown(r, loadTargets(), [r]);
    const start = md.indexOf("## The write path: what one update must write\n");
    expect(start).toBeGreaterThan(-1);
    const section = md.slice(start, md.indexOf("\n## ", start + 4));
    const row = section.split("\n").find((l) => l.startsWith("| sqlite (relaxed) | state-update"));
    expect(row).toBe(
      "| sqlite (relaxed) | state-update | 200 µs | 10.0 µs (sqlite-upsert-normal) | 20.0× | 50.0 µs (sqlite-update-same-work-normal) | 4.00× | 150 µs |",
    );
    expect(section).toContain("| lmdb (strict) | session-create | 1.00 ms | — | — | — | — | — |");
  });
});
