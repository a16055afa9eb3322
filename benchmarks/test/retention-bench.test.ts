import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";

// The retention row, as `pnpm bench --scenarios retention` runs it: a real child process creating
// and ending 3,000 sessions on an SQLite store with gc keeping 600 live.
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const exec = promisify(execFile);

describe("retention benchmark row", () => {
  it("keeps the live count, removes every ended session, and the disk stays flat (bytes per live session reported)", async () => {
    const tmp = tempDir("retention-bench");
    const dir = tmp.dir;
    const out = join(dir, "reports");
    await exec(
      process.execPath,
      [CLI, "--adapters", "sqlite", "--scenarios", "retention", "--out", out, "--store-dir", join(dir, "stores")],
      {
        timeout: 170_000,
      },
    );
    const run = JSON.parse(await readFile(join(out, "latest.json"), "utf8"));
    const r = run.results.find((x: { scenario: string }) => x.scenario === "retention");
    expect(r.status, r.reason).toBe("ok");
    expect(r.params).toEqual({ sessions: 3000, live: 600 });
    expect(r.check).toEqual({ expected: 2400, actual: 2400, ok: true });
    expect(r.diskBytesPerSession).toBeGreaterThan(0);
    expect(r.stats.median, "ms per 1,000 sessions removed").toBeGreaterThan(0);
    expect(r.note).toContain("flat (end ≤ 1.5× middle): true");
    tmp.cleanup();
  }, 180_000);
});
