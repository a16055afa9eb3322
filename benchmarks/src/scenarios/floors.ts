import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { documentOfSize } from "../fixtures.js";
import { type Measurement, measure } from "../measure.js";
import { BENCH_PG_ENV, PG_FLOOR_NAMES, openPgFloors } from "../postgres.js";
import { type Scenario, type ScenarioContext, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { LMDB_FLAGS, SAME_WORK_FLOORS, openSameWorkFloor } from "./same-work-floors.js";

export const FLOOR_NAMES = [
  "map-get",
  "map-set",
  "fs-write-fsync-rename",
  "fs-write-rename",
  "sqlite-get",
  "sqlite-upsert-full",
  "sqlite-upsert-normal",
  "lmdb-get",
  "lmdb-put",
  "lmdb-put-flushed",
  "lmdb-commit-flushed",
  "lmdb-commit-nosync",
] as const;

const pgProvisioned = (): boolean => (process.env[BENCH_PG_ENV] ?? "") !== "";

function iterationsFor(bytes: number): number {
  return bytes >= 1 << 20 ? 5 : 10;
}

/**
 * The physical floors, measured in the same run as the adapters so every result can be
 * stated as a ratio that holds on a noisy machine: the cheapest way to do the same work with
 * the same engine (a Map, a raw atomic file replace, a raw SQLite upsert, a raw LMDB put).
 */
export const floorsScenario: Scenario = {
  name: "floors",
  group: "floor",
  title: "Physical floors",
  perAdapter: false,
  writes: false,
  // PostgreSQL's floors only where the run has a server (its adapter is in the run and provisioned).
  ops: () => [...FLOOR_NAMES, ...SAME_WORK_FLOORS.map((f) => f.name), ...(pgProvisioned() ? PG_FLOOR_NAMES : [])].map((n) => `floor:${n}`),
  async run(ctx: ScenarioContext): Promise<BenchResult[]> {
    const bytes = ctx.job.params.bytes ?? 1024;
    const timeMs = ctx.job.settings.timeMs;
    const opts = { timeMs, iterations: iterationsFor(bytes) };
    const texts = [JSON.stringify(documentOfSize(bytes)), JSON.stringify({ ...documentOfSize(bytes), v: 2 })];
    const buffers = texts.map((t) => Buffer.from(t));
    const out: BenchResult[] = [];
    let i = 0;
    const run = async (name: string, fn: () => unknown): Promise<void> => {
      try {
        const m: Measurement = await measure(name, fn, opts);
        out.push(okResult(ctx.job, `floor:${name}`, m));
      } catch (err) {
        out.push(failedResult(ctx.job, `floor:${name}`, err));
      }
    };

    const map = new Map<string, unknown>([["global", JSON.parse(texts[0]!)]]);
    await run("map-get", () => map.get("global"));
    await run("map-set", () => map.set(`k${i++ % 1000}`, buffers[i & 1]));

    const target = join(ctx.dir, "doc.json");
    const tmp = join(ctx.dir, "doc.json.tmp");
    await run("fs-write-fsync-rename", () => {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, buffers[i++ & 1]!);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target);
    });
    await run("fs-write-rename", () => {
      writeFileSync(tmp, buffers[i++ & 1]!, { mode: 0o600 });
      renameSync(tmp, target);
    });

    // The engines load lazily: the report renderer imports the scenario list without them.
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
    const { open: openLmdb } = await import("lmdb");
    // WAL, as a store serving many processes would use; FULL syncs the WAL at each commit.
    const db = new Database(join(ctx.dir, "floor.db"));
    try {
      db.pragma("journal_mode = WAL");
      db.exec("CREATE TABLE kv (id TEXT PRIMARY KEY, value TEXT NOT NULL)");
      const upsert = db.prepare("INSERT INTO kv (id, value) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET value = excluded.value");
      const get = db.prepare("SELECT value FROM kv WHERE id = ?").pluck();
      upsert.run("global", texts[0]);
      await run("sqlite-get", () => get.get("global"));
      db.pragma("synchronous = FULL");
      await run("sqlite-upsert-full", () => upsert.run("global", texts[i++ & 1]));
      db.pragma("synchronous = NORMAL");
      await run("sqlite-upsert-normal", () => upsert.run("global", texts[i++ & 1]));
    } finally {
      db.close();
    }

    const env = openLmdb({ path: join(ctx.dir, "floor-lmdb"), encoding: "string" });
    try {
      await env.put("global", texts[0]!);
      await run("lmdb-get", () => env.get("global"));
      await run("lmdb-put", () => env.put("global", texts[i++ & 1]!));
      await run("lmdb-put-flushed", async () => {
        await env.put("global", texts[i++ & 1]!);
        await env.flushed;
      });
    } finally {
      await env.close();
    }

    // The LMDB adapter's own commit shape, one put: a synchronous write transaction on an environment
    // without overlappingSync (the adapter's default), flushed before it returns (strict) or not
    // (relaxed). "lmdb-put-flushed" overlaps the flush with the next commit, so it is no floor for a
    // strict write that waits for its own flush; these are (lmdb-adapter.ts commitFlags).
    const syncEnv = openLmdb({ path: join(ctx.dir, "floor-lmdb-sync"), encoding: "string", overlappingSync: false } as never);
    try {
      syncEnv.putSync("global", texts[0]!);
      const commit = (flags: number) => () =>
        syncEnv.transactionSync(() => {
          syncEnv.putSync("global", texts[i++ & 1]!);
        }, flags as never);
      await run("lmdb-commit-flushed", commit(LMDB_FLAGS.strict));
      await run("lmdb-commit-nosync", commit(LMDB_FLAGS.relaxed));
    } finally {
      await syncEnv.close();
    }

    // What one state update or session create must write, done by the raw engine (same-work-floors.ts):
    // the writes of a 1 KB document's update, so measured once, in the 1 KB job.
    for (const spec of bytes === 1024 ? SAME_WORK_FLOORS : []) {
      const dir = join(ctx.dir, spec.name);
      mkdirSync(dir);
      let floor: Awaited<ReturnType<typeof openSameWorkFloor>> | undefined;
      try {
        floor = await openSameWorkFloor(spec, dir);
        const f = floor;
        await run(spec.name, () => f.step());
      } catch (err) {
        out.push(failedResult(ctx.job, `floor:${spec.name}`, err));
      } finally {
        await floor?.close().catch(() => {});
      }
    }

    if (pgProvisioned()) {
      // The same socket as the adapter's rows, one connection, prepared statements.
      const floors = await openPgFloors(ctx.dir, texts);
      try {
        await run("pg-select", () => floors.select());
        await run("pg-commit-strict", () => floors.commit(true));
        await run("pg-commit-relaxed", () => floors.commit(false));
        await run("pg-commit-history-strict", () => floors.commitWithHistory(true));
        await run("pg-commit-history-relaxed", () => floors.commitWithHistory(false));
      } finally {
        await floors.close();
      }
    }
    return out;
  },
};
