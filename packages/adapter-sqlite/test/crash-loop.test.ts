import { readdirSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { killChildren, runChild, sized, sleep, tempDir } from "./helpers.js";

afterEach(killChildren);

const WRITERS = 4;

describe("sqlite adapter under kill -9", () => {
  it(
    "passes PRAGMA integrity_check and keeps every acknowledged write after each round of SIGKILLs",
    async () => {
      const { dir, cleanup } = tempDir();
      try {
        const file = `${dir}/store.db`;
        // Created before the writers start, so no round races to create it.
        await new SqliteAdapter(file).close();
        const acked = new Array<number>(WRITERS).fill(0);
        let lastAckedSeq = 0;
        // Quick runs 10 rounds (each spawns 4 processes); the generic crash loop in the conformance suite runs 20.
        const rounds = sized(10, 1000);
        for (let round = 0; round < rounds; round++) {
          let ready = 0;
          let allReady!: () => void;
          const readyPromise = new Promise<void>((r) => (allReady = r));
          const children = Array.from({ length: WRITERS }, (_, w) =>
            runChild("writer.mjs", [file, String(w), round % 2 === 0 ? "strict" : "relaxed"], {
              onLine: (line) => {
                if (line === "ready" && ++ready === WRITERS) allReady();
                const m = /^ack (\d+) (\d+)$/.exec(line);
                if (m !== null) {
                  acked[w] = Math.max(acked[w]!, Number(m[1]));
                  lastAckedSeq = Math.max(lastAckedSeq, Number(m[2]));
                }
              },
            }),
          );
          await Promise.race([readyPromise, sleep(20_000)]);
          await sleep(200 + Math.random() * 800);
          for (const c of children) c.child.kill("SIGKILL");
          const results = await Promise.all(children.map((c) => c.done));
          for (const r of results) expect(r.signal, r.stderr).toBe("SIGKILL");

          // SQLite's own check and the adapter's (checksums, index entries, no sequence gaps).
          const raw = new Database(file, { fileMustExist: true });
          expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
          raw.close();
          const store = new SqliteAdapter(file);
          const report = await store.check();
          expect(report.problems).toEqual([]);
          expect(report.ok).toBe(true);
          for (let w = 0; w < WRITERS; w++) {
            const n = (await store.get("counters", `w${w}`))?.value as { n: number } | undefined;
            // Every acknowledged write is there (a commit may also land just before its ack is printed).
            expect(n?.n ?? 0).toBeGreaterThanOrEqual(acked[w]!);
            const last = await store.get("items", `w${w}-${n?.n ?? 0}`);
            if ((n?.n ?? 0) > 0) expect(last?.value).toMatchObject({ writer: w, n: n!.n });
          }
          const seq = await store.sequence();
          expect(seq).toBeGreaterThanOrEqual(lastAckedSeq);
          const changes = await store.changes(Math.max(0, seq - 50), 1000);
          expect(changes.map((c) => c.sequence)).toEqual(changes.map((_, i) => changes[0]!.sequence + i));
          if (seq > 0) expect(changes[changes.length - 1]!.sequence).toBe(seq);
          await store.close();
          // Leftovers: no temporary file, and after the last close no WAL or shared memory either.
          expect(readdirSync(dir).sort()).toEqual(["store.db"]);
        }
      } finally {
        cleanup();
      }
    },
    sized(180_000, 7_200_000),
  );
});
