import { spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, at, cleanup, show, tempDir } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) cleanup(d);
});

/** Runs the CLI with stdout a pipe read slowly (a shell's `$(…)` or `| wc` behind a busy reader), counting what arrives. */
function readSlowly(args: readonly string[]): Promise<{ code: number | null; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let bytes = 0;
    child.stdout.pause();
    // Let the CLI fill the pipe and finish its command before anything is read.
    setTimeout(() => child.stdout.resume(), 1500);
    child.stdout.on("data", (d: Buffer) => (bytes += d.length));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, bytes }));
  });
}

describe("output through a pipe is never cut", () => {
  it("a 1 MB value read through a pipe arrives whole in every output mode", async () => {
    const dir = tempDir("cli-pipe");
    dirs.push(dir);
    const url = `sqlite:${dir}/s.db`;
    const ops = join(dir, "ops.json");
    writeFileSync(ops, JSON.stringify([{ op: "state.set", pointer: "/blob", value: "a".repeat(1_000_000) }]));
    const w = await at(url)(["batch", ops]);
    expect(w.code, show(w)).toBe(0);
    for (const mode of ["--plain", "--json"]) {
      const args = ["--store", url, mode, "state", "get", "/blob"];
      // The same command into a file (always written synchronously) gives the size to expect.
      const file = join(dir, `out${mode}`);
      const fd = openSync(file, "w");
      spawnSync(process.execPath, [BIN, ...args], { stdio: ["ignore", fd, "inherit"] });
      closeSync(fd);
      const size = statSync(file).size;
      expect(size).toBeGreaterThan(1_000_000);
      const r = await readSlowly(args);
      expect(r.code).toBe(0);
      expect(r.bytes, `${mode}: every byte`).toBe(size);
    }
  }, 60_000);
});
