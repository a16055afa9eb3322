import { describe, expect, it } from "vitest";
import { PROFILES, planJobs } from "../src/profiles.js";
import { concurrentHttpFloorKey } from "../src/scenarios/daemon-concurrency.js";
import { resultKey } from "../src/scenario.js";

describe("the daemon-concurrency floor", () => {
  for (const name of ["quick", "full"] as const) {
    it(`is planned at every ${name} point of daemon-concurrency, before it, when only daemon-concurrency is named`, () => {
      const jobs = planJobs(PROFILES[name]!, { scenarios: ["daemon-concurrency"], adapters: ["sqlite"] });
      const floors = jobs.filter((j) => j.scenario === "concurrent-http-floor");
      const daemon = jobs.filter((j) => j.scenario === "daemon-concurrency");
      expect(daemon.length).toBeGreaterThan(0);
      // Once per point (the daemon rows run once per durability mode in the full profile).
      const points = [...new Set(daemon.map((j) => JSON.stringify(j.params)))];
      expect(floors.map((j) => JSON.stringify(j.params))).toEqual(points);
      expect(jobs.indexOf(floors.at(-1)!)).toBeLessThan(jobs.indexOf(daemon[0]!));
    });
  }

  it("has the key the daemon rows name as their floor", () => {
    const params = { procs: 50, incrementsPerProc: 20 };
    expect(concurrentHttpFloorKey(params)).toBe(resultKey("process", undefined, "concurrent-http-floor", params));
  });

  it("leaves the other floors' jobs as they were", () => {
    const jobs = planJobs(PROFILES.quick!, { scenarios: ["curl-floor", "process-floor"] });
    expect(jobs.map((j) => [j.scenario, j.params])).toEqual([
      ["process-floor", {}],
      ["curl-floor", {}],
    ]);
  });
});
