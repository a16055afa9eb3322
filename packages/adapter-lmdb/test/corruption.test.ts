import { cpSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir } from "@statehouse/conformance/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { killChildren, runChild, sized, tempDir } from "./helpers.js";

/**
 * Damaged data.mdb files: truncated, bytes flipped, pages zero-filled. Each damaged copy is
 * opened and fully checked in a child process, because LMDB can abort or fault on a damaged
 * page; a signal is counted as a crash, never hidden. Every outcome must be one of:
 *   - E_CORRUPT at open (or a failed check() naming data.mdb),
 *   - a clean check() after which every record reads back exactly as written (the damage hit
 *     free space, which nothing reads).
 * Never a crash, a hang, another error, a wrong value, or a silently emptied store.
 */
const N = sized(6, 100);

describe("corruption of data.mdb", () => {
  const { dir, cleanup } = tempDir();
  const good = join(dir, "good");
  const expected: Record<string, unknown> = {};

  beforeAll(async () => {
    const a = await LmdbAdapter.open(good);
    for (let i = 0; i < 300; i++) {
      const value = { i, text: `record ${i} ${"é".repeat(i % 40)}`, pad: "x".repeat((i % 9) * 300) };
      expected[`d${String(i).padStart(3, "0")}`] = value;
    }
    const ids = Object.keys(expected);
    for (let b = 0; b < ids.length; b += 20) {
      await a.transact((tx) => {
        for (const id of ids.slice(b, b + 20)) tx.put("docs", id, expected[id] as never, { index: { by: id.slice(-1) } });
      });
    }
    // Churn so that the file has free pages as well as live ones.
    for (let i = 0; i < 30; i++) await a.transact((tx) => tx.put("tmp", `t${i % 3}`, { i, pad: "y".repeat(2000) }));
    await a.close();
  });
  afterEach(killChildren);
  afterAll(cleanup);

  type Kind = "truncate" | "flip" | "zero";
  const mutate: Record<Kind, (file: string, k: number, size: number) => void> = {
    truncate: (file, k, n) => truncateSync(file, Math.floor((n * k) / (N + 1))),
    flip: (file, k, n) => {
      const b = readFileSync(file);
      // Spread over the whole file, several bytes per mutation.
      for (let j = 0; j < 4; j++) {
        const at = (Math.floor((n / (N + 1)) * (k + 1)) + j * 1013) % n;
        b[at] = b[at]! ^ (0x5a + j);
      }
      writeFileSync(file, b);
    },
    zero: (file, k, n) => {
      const b = readFileSync(file);
      const page = 4096;
      const at = Math.floor(((n / page) * k) / N) * page;
      b.fill(0, at, Math.min(n, at + 2 * page));
      writeFileSync(file, b);
    },
  };

  for (const kind of ["truncate", "flip", "zero"] as Kind[]) {
    it(`${kind}: ${N} mutations give E_CORRUPT or an intact store; 0 crashes, 0 hangs, 0 silent damage`, async () => {
      const outcomes: Record<string, number> = {};
      const failures: string[] = [];
      for (let k = 0; k < N; k++) {
        const copy = join(dir, `${kind}-${k}`);
        removeDir(copy);
        cpSync(good, copy, { recursive: true });
        const file = join(copy, "data.mdb");
        mutate[kind](file, k, statSync(file).size);
        // Every other mutation also verifies the page structure at open (verifyOnOpen).
        const r = await runChild("probe", { path: copy, options: { verifyOnOpen: k % 2 === 1 } }, { timeoutMs: 20_000 }).done;
        const res = r.json as
          | {
              open: string;
              message?: string;
              check: { ok: boolean; first?: string } | null;
              records: Record<string, unknown> | null;
              error?: string;
              unhandled: number;
            }
          | undefined;
        let outcome: string;
        if (r.timedOut) outcome = "hang";
        else if (r.signal !== null || res === undefined) outcome = `crash (${r.signal ?? `exit ${r.code}`}: ${r.stderr.slice(0, 200)})`;
        else if (res.open === "E_CORRUPT")
          outcome = res.message?.includes("data.mdb") ? "E_CORRUPT at open" : "E_CORRUPT without the file name";
        else if (res.open !== "no error") outcome = `open gave ${res.open}`;
        else if (res.check !== null && !res.check.ok)
          outcome = res.check.first?.includes("data.mdb") ? "check() found it" : "check() without the file name";
        else if (res.error !== undefined) outcome = `error ${res.error}`;
        else outcome = JSON.stringify(res.records) === JSON.stringify(expected) ? "intact (free space)" : "silent damage";
        if (res !== undefined && res.unhandled > 0) outcome += " + unhandled rejection";
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (!["E_CORRUPT at open", "check() found it", "intact (free space)"].includes(outcome)) failures.push(`${kind} #${k}: ${outcome}`);
        removeDir(copy);
      }
      console.log(`[lmdb corruption] ${kind}:`, JSON.stringify(outcomes));
      expect(failures).toEqual([]);
      // The harness must see the damage: most mutations of a small, mostly live file are detected.
      const detected = (outcomes["E_CORRUPT at open"] ?? 0) + (outcomes["check() found it"] ?? 0);
      expect(detected).toBeGreaterThan(N / 2);
    });
  }

  it("an emptied or deleted data.mdb is E_CORRUPT, never a new empty store", async () => {
    for (const how of ["empty", "delete"]) {
      const copy = join(dir, `reset-${how}`);
      cpSync(good, copy, { recursive: true });
      if (how === "empty") truncateSync(join(copy, "data.mdb"), 0);
      else rmSync(join(copy, "data.mdb"));
      const r = await runChild("probe", { path: copy }, { timeoutMs: 20_000 }).done;
      expect((r.json as { open: string }).open, how).toBe("E_CORRUPT");
      removeDir(copy);
    }
  });
});
