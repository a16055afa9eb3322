import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, at, cleanup, show, tempDir } from "./helpers.js";

// `statehouse ... --json` piped to another process: the pipe fills (64 KiB on Linux) while the
// reader has not read yet, and the CLI must not exit before the rest of its output is written.

/** Runs `node BIN ARGS | (sleep; cat) > FILE` through a real shell pipe; the reader starts late. */
function pipedToSlowReader(args: readonly string[], file: string): Promise<{ code: number | null; stderr: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    // pipefail: the exit status is the CLI's, not cat's.
    const sh = spawn("bash", ["-c", `set -o pipefail; ${quoted} | (sleep 0.5; cat) > '${file}'`], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    sh.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    sh.on("error", reject);
    sh.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("output piped to another process", () => {
  let dir: string;
  let sh: ReturnType<typeof at>;
  // 1.5 MiB of state: more than 20 pipe buffers.
  const doc = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, `${i}:${"x".repeat(5000)}`]));
  beforeAll(async () => {
    dir = tempDir();
    sh = at(`sqlite:${join(dir, "s.db")}`);
    const r = await sh(["batch"], { input: JSON.stringify([{ op: "state.replace", value: doc }]) });
    expect(r.code, show(r)).toBe(0);
  });
  afterAll(() => cleanup(dir));

  it("a --json output over 1 MiB reaches a reader that starts late, whole", async () => {
    const file = join(dir, "out.json");
    const r = await pipedToSlowReader(["--store", `sqlite:${join(dir, "s.db")}`, "--json", "state", "get"], file);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text.length).toBeGreaterThan(1024 * 1024);
    expect(JSON.parse(text)).toMatchObject({ document: "global", revision: 1, value: doc });
  });

  it("a failing command, piped, still exits with its own status and its error whole on stderr", async () => {
    const file = join(dir, "err.json");
    // A query for an absent path fails with E_NOT_FOUND (exit 3) and a short error on stderr.
    const r = await pipedToSlowReader(["--store", `sqlite:${join(dir, "s.db")}`, "--json", "state", "get", "/absent"], file);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr).error.code).toBe("E_NOT_FOUND");
  });

  it("a reader that goes away early (| head -c) ends the CLI at once with E_IO's status, without a crash report", async () => {
    const quoted = [process.execPath, BIN, "--store", `sqlite:${join(dir, "s.db")}`, "--json", "state", "get"]
      .map((a) => `'${a}'`)
      .join(" ");
    const t0 = Date.now();
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn("bash", ["-c", `set -o pipefail; ${quoted} | head -c 100`], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      p.on("error", reject);
      p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.stdout).toHaveLength(100);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(14);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
