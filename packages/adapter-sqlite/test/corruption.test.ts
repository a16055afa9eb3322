import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { killChildren, runChild, sized, tempDir } from "./helpers.js";

afterEach(killChildren);

// "check-detected": reads returned different data without an error, but check() reports the
// damage. SQLite has no page checksums; rows carry a CRC, but a damaged key in a b-tree can make a
// row unfindable (a lookup misses it, a listing skips it), which only a full scan can notice.
const DETECTED_OR_INTACT = new Set(["open-corrupt", "read-corrupt", "intact", "check-detected"]);

/** A store with some history: updates, deletes (free pages), several indexes, ~100 change sets. */
async function buildPristine(file: string): Promise<void> {
  const store = new SqliteAdapter(file, { durability: "relaxed" });
  for (let i = 0; i < 60; i++) {
    await store.transact((tx) => {
      tx.put(
        "docs",
        `d${i}`,
        { i, text: "lorem ipsum ".repeat(5 + ((i * 13) % 120)), nested: { a: [i, i * 2, { b: `x${i}` }] } },
        { index: { tag: `t${i % 7}`, size: String(i % 11) } },
      );
      if (i % 2 === 0)
        tx.put(
          "sessions",
          `s${i}`,
          { id: `s${i}`, status: i % 3 === 0 ? "active" : "completed", metadata: { n: i } },
          { index: { status: i % 3 === 0 ? "active" : "completed" } },
        );
    });
  }
  for (let i = 0; i < 60; i += 4)
    await store.transact((tx) => tx.put("docs", `d${i}`, { i, updated: true }, { index: { tag: "updated" } }));
  for (let i = 1; i < 60; i += 6) await store.transact((tx) => tx.delete("docs", `d${i}`));
  await store.close();
}

describe("sqlite adapter with a damaged database file", () => {
  for (const kind of ["truncate", "flip", "zero"] as const) {
    it(`${kind}: every mutation gives E_CORRUPT, leaves the data intact, or (a damaged key that hides a row) fails check(); no hang, no crash, no silent reset`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const pristine = `${dir}/pristine.db`;
        await buildPristine(pristine);
        const snap = await runChild("corrupt-probe.mjs", ["snapshot", pristine], { timeoutMs: 60_000 }).done;
        expect(snap.code, snap.stderr).toBe(0);
        writeFileSync(`${dir}/expected.json`, snap.stdout.trim());
        const count = sized(40, 100);
        const seed = Math.floor(Math.random() * 2 ** 31) + 1;
        const probe = await runChild(
          "corrupt-probe.mjs",
          ["probe", pristine, dir, kind, String(count), String(seed), `${dir}/expected.json`],
          {
            timeoutMs: 100_000,
          },
        ).done;
        // A hang is a timeout, a crash a signal or a non-zero exit.
        expect(probe.timedOut, `hung (seed ${seed})`).toBe(false);
        expect(probe.signal, `crashed (seed ${seed}): ${probe.stderr}`).toBe(null);
        expect(probe.code, probe.stderr).toBe(0);
        const outcomes = probe.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { i: number; what: string; outcome: string; detail: string });
        expect(outcomes).toHaveLength(count);
        const tally: Record<string, number> = {};
        for (const o of outcomes) tally[o.outcome] = (tally[o.outcome] ?? 0) + 1;
        console.log(`corruption ${kind} (seed ${seed}): ${JSON.stringify(tally)}`);
        if (process.env.STATEHOUSE_CORRUPTION_LOG !== undefined)
          writeFileSync(`${process.env.STATEHOUSE_CORRUPTION_LOG}.${kind}`, probe.stdout);
        const bad = outcomes.filter((o) => !DETECTED_OR_INTACT.has(o.outcome));
        expect(bad, `seed ${seed}`).toEqual([]);
      } finally {
        cleanup();
      }
    }, 120_000);
  }
});
