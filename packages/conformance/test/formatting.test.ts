import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

// `pnpm run lint` runs the same check; here it also gates the README's test command (and so CI),
// so an unformatted or lint-failing file cannot land.
describe("source formatting and lint", () => {
  it("biome check passes with the formatter on (biome.json at the root)", () => {
    const r = spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["check", "--max-diagnostics=20", "."], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });
});
