import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { TORTURE, killChildren, runChild, sized, sleep, tempDir, waitForLine } from "./helpers.js";

/**
 * The generic crash loop is in the conformance suite; this one adds LMDB's own full scan after
 * every round (page structure, every record's checksum, index entries both ways, the change log
 * without gaps), in relaxed durability with records large enough to need overflow pages.
 */
const ROUNDS = sized(5, 1000);
const WRITERS = 4;

describe("crash loop with a full scan after each round", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  it("check() while 3 processes write: every check is clean (it reads a pinned snapshot)", async () => {
    const path = join(dir, "env-concurrent-check");
    const seed = await LmdbAdapter.open(path);
    await seed.transact((tx) => tx.put("docs", "seed", {}));
    await seed.close();
    const writers = Array.from({ length: 3 }, (_, w) =>
      runChild("writer", { path, writer: `c${w}`, big: false, options: { durability: "relaxed" } }),
    );
    await Promise.all(writers.map((c) => waitForLine(c.child, "ready")));
    const a = await LmdbAdapter.open(path);
    try {
      for (let i = 0; i < sized(8, 40); i++) {
        expect(await a.check(), `check ${i}`).toEqual({ ok: true, problems: [], repaired: [] });
        await sleep(50);
      }
      expect(await a.sequence()).toBeGreaterThan(1);
    } finally {
      for (const c of writers) c.child.kill("SIGKILL");
      await Promise.all(writers.map((c) => c.done));
      await a.close();
    }
  });

  // Quick runs take relaxed only (strict is the conformance suite's crash loop); full runs take both.
  for (const durability of TORTURE ? (["relaxed", "strict"] as const) : (["relaxed"] as const)) {
    it(`${durability}: ${ROUNDS} rounds of ${WRITERS} writers SIGKILLed at random 0.2–1 s; reopen; check() ok; every acknowledged write present`, async () => {
      const path = join(dir, `env-${durability}`);
      const acked = new Map<string, number>(); // id → writer
      const deletedByAck = new Set<string>();
      const lastAck = new Map<string, number>(); // writer → highest acknowledged i
      for (let round = 0; round < ROUNDS; round++) {
        const children = Array.from({ length: WRITERS }, (_, w) =>
          runChild(
            "writer",
            { path, writer: `${round}.${w}`, big: true, options: { durability } },
            {
              onLine: (line) => {
                const m = /^ack (w([\d.]+)-(\d+))$/.exec(line);
                if (m === null) return;
                acked.set(m[1]!, round);
                const i = Number(m[3]);
                lastAck.set(m[2]!, Math.max(lastAck.get(m[2]!) ?? -1, i));
                if (i % 3 === 2) deletedByAck.add(`w${m[2]}-${i - 2}`);
              },
            },
          ),
        );
        // The random 0.2–1 s run starts once every writer has opened the store.
        await Promise.all(children.map((c) => waitForLine(c.child, "ready")));
        await sleep(200 + Math.random() * 800);
        for (const c of children) c.child.kill("SIGKILL");
        const results = await Promise.all(children.map((c) => c.done));
        for (const r of results) expect(r.stderr, "writer stderr").toBe("");
        const a = await LmdbAdapter.open(path, { durability });
        try {
          const report = await a.check();
          expect(report, `round ${round}`).toEqual({ ok: true, problems: [], repaired: [] });
          for (const [id] of acked) {
            const rec = await a.get("docs", id);
            const i = Number(id.slice(id.lastIndexOf("-") + 1));
            if (deletedByAck.has(id)) expect(rec, `${id} was deleted by an acknowledged write`).toBeUndefined();
            // Records i ≡ 0 (mod 3) are deleted by write i + 2, which may have committed unacknowledged.
            else if (i % 3 !== 0) expect(rec?.id, `acknowledged ${id} after round ${round}`).toBe(id);
          }
          // Each writer's counter counts its committed transactions: all acknowledged ones, and
          // at most one more (committed, then killed before printing its acknowledgement).
          for (const [writer, max] of lastAck) {
            if (!writer.startsWith(`${round}.`)) continue;
            const n = ((await a.get("counters", `w${writer}`))?.value as { n?: number } | undefined)?.n ?? 0;
            expect(n, `writer ${writer} acknowledged ${max + 1} transactions`).toBeGreaterThanOrEqual(max + 1);
            expect(n).toBeLessThanOrEqual(max + 2);
          }
          const seq = await a.sequence();
          const changes = await a.changes(Math.max(0, seq - 50), 100);
          for (let i = 1; i < changes.length; i++) expect(changes[i]!.sequence).toBe(changes[i - 1]!.sequence + 1);
          if (changes.length > 0) expect(changes[changes.length - 1]!.sequence).toBe(seq);
        } finally {
          await a.close();
        }
        expect(readdirSync(path).sort()).toEqual(["data.mdb", "lock.mdb", "mutex.mdb", "mutex.mdb-lock", "statehouse.json"]);
      }
      expect(acked.size).toBeGreaterThan(0);
    });
  }
});
