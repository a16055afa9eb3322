import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileAdapter } from "@statehouse/adapter-file";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "./helpers.js";

const pad = (n: number) => String(n).padStart(16, "0");

/** Every name a writer of this store could plausibly create next, and the usual temporary spellings of each. */
function likelyNames(store: string, from: number, to: number): string[] {
  const out: string[] = [];
  const variants = (p: string) => [p, `${p}.tmp`, `${p}~`, `${p}.swp`, join(p, "..", `.${p.split("/").pop()}.tmp`)];
  for (let seq = from; seq <= to; seq++) {
    out.push(...variants(join(store, "wal", `${pad(seq)}.json`)), join(store, "wal", `${pad(seq)}.folded`));
    for (const b of ["00", "01", "1f", "3f"]) {
      out.push(
        ...variants(join(store, "data", "docs", `${b}-${pad(seq)}.json`)),
        ...variants(join(store, "data", "docs", `${b}-${pad(seq)}.copy.json`)),
      );
    }
    for (let f = Math.max(1, seq - 8); f <= seq; f++) out.push(join(store, "history", `${pad(f)}-${pad(seq)}.json`));
    // Temporary names in this adapter's own pattern, with guessed pids and random tails.
    out.push(join(store, "wal", `.${pad(seq)}.json.${process.pid}-1.${randomBytes(6).toString("hex")}.tmp`));
  }
  out.push(...variants(join(store, "store.json")));
  return out;
}

describe("file adapter: symlinks planted at likely temporary and target names (TESTPLAN)", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("symlinks");
  });
  afterAll(() => removeDir(dir));

  it("the victim file outside the store is unchanged, and every write is kept", async () => {
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "precious\n");
    const store = join(dir, "store");
    const a = await FileAdapter.open(store, { foldEvery: 8 });
    await a.transact((tx) => tx.put("docs", "first", { n: 0 }));
    mkdirSync(join(store, "data", "docs"), { recursive: true, mode: 0o700 });
    let planted = 0;
    for (const name of likelyNames(store, 2, 60)) {
      try {
        symlinkSync(victim, name);
        planted++;
      } catch {
        // a name that exists already (or whose directory does not): nothing to plant there
      }
    }
    expect(planted).toBeGreaterThan(500);
    for (let i = 1; i <= 50; i++) await a.transact((tx) => tx.put("docs", `d${i % 12}`, { n: i }));
    await a.close();

    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(victim).isFile()).toBe(true);
    const b = await FileAdapter.open(store);
    expect(await b.sequence()).toBe(51);
    for (let k = 0; k < 12; k++) {
      const last = 48 + k <= 50 ? 48 + k : 36 + k;
      expect((await b.get("docs", `d${k}`))?.value).toEqual({ n: last });
    }
    const sets = await b.changes(0, 1000);
    expect(sets.map((s) => s.sequence)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    // Planted links are never followed; check() names those still lying at data-file names.
    await b.check({ repair: true });
    expect((await b.check()).ok).toBe(true);
    await b.close();
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(readdirSync(dir).sort()).toEqual(["store", "victim.txt"]);
  });
});
