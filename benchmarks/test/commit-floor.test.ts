import { fileURLToPath } from "node:url";
import { removeDir, tempDir } from "@statehouse/conformance/testing";
import { afterAll, describe, expect, it } from "vitest";
import { PROFILES, planJobs } from "../src/profiles.js";
import { concurrentCommitFloorKey } from "../src/scenarios/concurrent-commit-floor.js";
import { judgeGoal, loadTargets } from "../src/targets.js";
import { result } from "./helpers.js";

// The built harness (the scenario forks its built worker).
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

describe("the concurrent commit floor", () => {
  const { dir } = tempDir("commit-floor");
  afterAll(() => removeDir(dir));

  for (const name of ["quick", "full"] as const) {
    it(`is planned before the ${name} concurrency rows, once per process count (fsync on; off too where relaxed rows run)`, () => {
      const profile = PROFILES[name]!;
      const jobs = planJobs(profile, { scenarios: ["concurrency"], adapters: ["sqlite", "file"] });
      const floors = jobs.filter((j) => j.scenario === "concurrent-commit-floor");
      const rows = jobs.filter((j) => j.scenario === "concurrency");
      expect(jobs.indexOf(floors.at(-1)!)).toBeLessThan(jobs.indexOf(rows[0]!));
      const keys = new Set(floors.map((j) => concurrentCommitFloorKey(j.params.procs!, j.params.fsync === 0 ? "relaxed" : "strict")));
      for (const row of rows) expect(keys.has(concurrentCommitFloorKey(row.params.procs!, row.durability))).toBe(true);
      expect(floors).toHaveLength(profile.procs.length * (profile.sweepAllDurabilities ? 2 : 1));
    });
  }

  it("3 processes × 200 turns through the ring: the count exact, one sample per turn, under the key the concurrency rows name", async () => {
    const { runJob } = (await import(DIST)) as typeof import("../src/index.js");
    const job = {
      scenario: "concurrent-commit-floor",
      params: { procs: 3, fsync: 1 },
      settings: { ...PROFILES.quick!.settings, childTimeoutMs: 120_000 },
    };
    const [r] = await runJob(job, { storeRoot: dir });
    expect(r?.status, r?.reason).toBe("ok");
    expect(r!.key).toBe(concurrentCommitFloorKey(3, "strict"));
    expect(r!.check).toEqual({ expected: 600, actual: 600, ok: true });
    expect(r!.stats!.count).toBe(600);
  }, 150_000);

  it("a p99 goal judged on a row with this floor names the floor's p99 beside the goal", () => {
    const goal = loadTargets().goals.find((g) => g.id === "sqlite-concurrency")!;
    const floorKey = concurrentCommitFloorKey(25, "strict");
    const floor = result(floorKey, [20, 30, 40, 90]);
    const params = { procs: 25, incrementsPerProc: 200 };
    const row = {
      ...result("sqlite·strict·concurrent-increment·incrementsPerProc=200,procs=25", [30, 60, 80, 120], { floor: floorKey, params }),
      check: { expected: 5000, actual: 5000, ok: true },
    };
    const j = judgeGoal(goal, row, [floor, row]);
    expect(j.verdict).toBe("missed");
    expect(j.detail).toContain("floor's p99 ");
    expect(judgeGoal(goal, { ...row, floor: undefined }, [floor, row]).detail).not.toContain("floor's");
  });
});
