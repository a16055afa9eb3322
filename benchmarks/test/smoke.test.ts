import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir, runChild } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built harness, as `pnpm bench` runs it.
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const INDEX = new URL("../dist/index.js", import.meta.url).href;

describe("harness smoke run", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir("smoke").dir;
  });
  afterAll(async () => {
    removeDir(dir);
  });

  it("runs one scenario on the memory adapter in a child process and writes valid reports to --out", async () => {
    const out = join(dir, "reports");
    const { code, stdout, stderr } = await runChild(CLI, [
      "--adapters",
      "memory",
      "--scenarios",
      "state-query,session-list",
      "--time-ms",
      "20",
      "--out",
      out,
      "--store-dir",
      join(dir, "stores"),
    ]).done;
    expect(code, stderr).toBe(0);
    // Not a terminal: one plain progress line per scenario on stderr, nothing else.
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^\[1\/2\] memory · state-query — 1 ok \(/),
      expect.stringMatching(/^\[2\/2\] memory · session-list — 1 ok \(/),
    ]);
    expect(stdout).toMatch(/2 results in \d+ s \(profile quick, (domain|spi) API\): 0 failed, 0 skipped/);

    const run = JSON.parse(await readFile(join(out, "latest.json"), "utf8"));
    expect(run.schema).toBe(1);
    expect(run.env.node).toBe(process.version);
    expect(run.env.cores).toBeGreaterThan(0);
    const q = run.results.find((r: { key: string }) => r.key === "memory·-·state-query·");
    expect(q.status).toBe("ok");
    expect(q.stats.count).toBeGreaterThan(0);
    expect(q.stats.median).toBeGreaterThan(0);
    expect(q.stats.p99).toBeGreaterThanOrEqual(q.stats.median);
    expect(q.samples.length).toBeGreaterThan(0);
    expect(q.maxRssBytes).toBeGreaterThan(1 << 20);
    expect(q.check).toEqual({ expected: 1, actual: 1, ok: true });
    const l = run.results.find((r: { key: string }) => r.key === "memory·-·session-list·");
    expect(l.check).toEqual({ expected: 50, actual: 50, ok: true });

    const md = await readFile(join(out, "latest.md"), "utf8");
    expect(md).toMatch(/## Summary\n\n\| Adapter \| Operation/);
    expect(md).toMatch(/\| memory \| state-query \| [\d.]+ (ns|µs) \|/);
    const html = await readFile(join(out, "latest.html"), "utf8");
    expect(html).toContain("<svg");
    const history = await readdir(join(out, "history"));
    expect(history).toEqual([`${run.id}.json`]);
    // Each child's store directory was removed.
    expect(await readdir(join(dir, "stores"))).toEqual([]);
  });

  it("answers --help and refuses bad arguments with exit status 2", async () => {
    const { stdout } = await runChild(CLI, ["--help"]).done;
    expect(stdout).toContain("--profile NAME");
    for (const args of [["--profile", "nope"], ["--adapters", "nope"], ["--scenarios", "nope"], ["--bogus"]]) {
      expect((await runChild(CLI, [...args, "--out", join(dir, "x")]).done).code).toBe(2);
    }
  });

  it("records a child that crashes or hangs as a failed result instead of stopping the run", async () => {
    const { runJob, PROFILES } = (await import(INDEX)) as typeof import("../src/index.js");
    const settings = { ...PROFILES.quick!.settings, timeMs: 20 };
    const storeRoot = join(dir, "runner");
    const crashed = await runJob({ scenario: "state-query", adapter: "no-such-adapter", params: {}, settings }, { storeRoot });
    expect(crashed).toHaveLength(1);
    expect(crashed[0]).toMatchObject({ status: "failed", op: "state-query" });
    expect(crashed[0]!.reason).toContain("unknown adapter no-such-adapter");
    const hung = await runJob(
      { scenario: "process-floor", params: {}, settings: { ...settings, processRuns: 1000, childTimeoutMs: 300 } },
      { storeRoot },
    );
    expect(hung[0]).toMatchObject({ status: "failed", op: "node-e-0" });
    expect(hung[0]!.reason).toContain("timed out after 300 ms");
    expect(await readdir(storeRoot)).toEqual([]);
  });
});
