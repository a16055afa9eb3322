import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir, runChild } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILES, planJobs } from "../src/profiles.js";
import type { BenchResult, RunResult } from "../src/types.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

describe("the mcp scenario", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir("mcp-bench").dir;
  });
  afterAll(async () => {
    removeDir(dir);
  });

  it("brings its floors when a run names it: they are planned first", () => {
    const jobs = planJobs(PROFILES.quick!, { scenarios: ["mcp"], adapters: ["memory", "sqlite"] });
    expect(jobs.map((j) => `${j.scenario}/${j.adapter ?? "-"}`)).toEqual(["mcp-floor/-", "mcp/memory", "mcp/sqlite"]);
  });

  it("times a tool call over stdio and over the daemon's /mcp, each as a ratio to its floor, and the report shows both", async () => {
    const out = join(dir, "reports");
    const args = [
      CLI,
      "--adapters",
      "memory",
      "--scenarios",
      "mcp",
      "--out",
      out,
      "--store-dir",
      join(dir, "stores"),
      "--no-history",
      "--quiet",
    ];
    const r = await runChild(args[0]!, args.slice(1), { timeoutMs: 170_000 }).done;
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(await readFile(join(out, "latest.json"), "utf8")) as RunResult;
    const by = (op: string) => run.results.find((r) => r.op === op) as BenchResult;
    for (const op of ["stdio-echo-floor", "http-unix-floor"]) expect(by(op)).toMatchObject({ status: "ok", adapter: "process" });
    const rows = [
      ["mcp-state-get", "stdio-echo-floor"],
      ["mcp-state-increment", "stdio-echo-floor"],
      ["mcp-http-state-get", "http-unix-floor"],
      ["mcp-http-state-increment", "http-unix-floor"],
    ] as const;
    for (const [op, floor] of rows) {
      const r = by(op);
      expect(r.status, `${op}: ${r.reason}`).toBe("ok");
      expect(r.floor).toBe(by(floor).key);
      expect(r.stats!.count).toBe(PROFILES.quick!.settings.processRuns * 10);
      expect(r.stats!.p99).toBeGreaterThanOrEqual(r.stats!.median);
      expect(r.ratio).toBeCloseTo(r.stats!.median / by(floor).stats!.median, 6);
    }
    const md = await readFile(join(out, "latest.md"), "utf8");
    for (const [op] of rows)
      expect(md).toMatch(new RegExp(`\\| memory \\| ${op} \\| [\\d.]+ (µs|ms) \\| [\\d.]+ (µs|ms) \\|.*\\| [\\d.]+× \\|`));
  }, 180_000);
});
