import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { inTmpfs, runChild } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_DIR, removeDir, tempDir } from "./helpers.js";

const SCRIPT = join(PACKAGE_DIR, "test", "fixtures", "disk-full.mjs");
const TMPFS_BYTES = 1024 * 1024;

function canMount(): string | undefined {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  const r = spawnSync(
    "unshare",
    ["--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"],
    { encoding: "utf8" },
  );
  return r.status === 0 ? undefined : `unshare/mount is not permitted here: ${r.stderr.trim()}`;
}

const why = canMount();

describe("file adapter: disk full on a real tmpfs (TESTPLAN, byte-identical prior state)", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("full");
  });
  afterAll(() => removeDir(dir));

  it.skipIf(why !== undefined)(
    `a ${TMPFS_BYTES / 1024} KiB tmpfs filled through the adapter: E_STORAGE_FULL, every byte of the store unchanged, no temporary file, the next write works once space is freed${why ? ` (skipped: ${why})` : ""}`,
    async () => {
      // The filler leaves room for a few dozen records, so the store fills up mid-way.
      const wrap = inTmpfs(dir, String(TMPFS_BYTES));
      const r = await runChild(SCRIPT, [dir, String(TMPFS_BYTES - 320 * 1024)], { wrap, cwd: PACKAGE_DIR, timeoutMs: 120_000 }).done;
      expect(r.code, r.stderr).toBe(0);
      const report = r.json as any;
      console.log(`[adapter-file] disk full after ${report.records} records: ${JSON.stringify(report.fullErrors)}`);
      expect(report.records).toBeGreaterThan(3);
      expect(report.fullErrors).toEqual(["E_STORAGE_FULL"]);
      expect(report.identical, "files that differ from before the failed write").toEqual([]);
      expect(report.temporaryFiles).toEqual([]);
      expect(report.afterFree).toBe("ok");
      expect(report.unhandled).toEqual([]);
      expect(report.readBack.missing).toBe(0);
      expect(report.readBack.counter).toBe(report.records + 1000);
      expect(report.readBack.check.ok).toBe(true);
    },
  );
});
