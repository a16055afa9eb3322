import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, removeDir } from "@statehouse/conformance/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CapacityHistory } from "../src/web/capacity.js";

// The page's capacity view: points at most every `everyMs`, the disk measured from the store's
// files, and the growth per hour as the least-squares slope of the points kept.
describe("capacity history", () => {
  const dir = tempDir("capacity").dir;
  afterAll(() => removeDir(dir));

  it("samples at most every everyMs and gives the growth per hour", async () => {
    const file = join(dir, "s.db");
    writeFileSync(file, Buffer.alloc(8192));
    const h = new CapacityHistory(`sqlite:${file}`, 1000);
    const t0 = Date.UTC(2026, 0, 1);
    expect((await h.observe(100, t0)).sessionsPerHour).toBeNull();
    expect((await h.observe(999, t0 + 500)).points).toHaveLength(1); // too soon: no new point
    writeFileSync(file, Buffer.alloc(16384));
    const v = await h.observe(110, t0 + 60_000);
    expect(v.points.map((p) => p[1])).toEqual([100, 110]);
    // 10 sessions a minute: 600 an hour.
    expect(v.sessionsPerHour).toBeCloseTo(600, 6);
    expect(v.points[0]![2]).toBeGreaterThanOrEqual(8192);
    expect(v.diskBytesPerHour).toBeGreaterThan(0);
  });
});
