import { type BatchOperation, open } from "@statehouse/core";
import { createRequire } from "node:module";
import type pg from "pg";
import { diskUsage } from "../disk.js";
import { clientConfig, schemaFor } from "../postgres.js";
import { fromSamples } from "../measure.js";
import { type Scenario, type ScenarioContext, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

/** Sessions created (and, past the live count, ended) per transaction. */
const BATCH = 50;
/** The disk is flat when its last sample is within this factor of the one at the middle of the run. */
const FLAT_FACTOR = 1.5;

/**
 * Bytes the store occupies: its directory on disk, or for PostgreSQL the tables, indexes and TOAST
 * of its schema (`pg_total_relation_size`), which is what the server keeps on disk for it.
 */
async function storeSizer(
  ctx: ScenarioContext,
): Promise<{ bytes: () => Promise<number>; settle: () => Promise<void>; note: string; close: () => Promise<void> }> {
  if (ctx.adapter?.name !== "postgres") return { bytes: () => diskUsage(ctx.dir), settle: async () => {}, note: "", close: async () => {} };
  const { Client } = createRequire(import.meta.url)("pg") as typeof pg;
  const client = new Client(clientConfig(ctx.url));
  await client.connect();
  const schema = schemaFor(ctx.dir);
  return {
    bytes: async () => {
      const r = await client.query<{ n: string | null }>(
        "SELECT sum(pg_total_relation_size(c.oid))::bigint AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind = 'r'",
        [schema],
      );
      return Number(r.rows[0]?.n ?? 0);
    },
    // What autovacuum does in a server that runs for longer than this benchmark (its naptime is a
    // minute): deleted rows' space becomes reusable. Without it the tables grow by every deleted row.
    settle: async () => {
      const r = await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = $1", [schema]);
      for (const { t } of r.rows) await client.query(`VACUUM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(t)}`);
    },
    note: "; a plain VACUUM (what autovacuum does) after each gc",
    close: () => client.end(),
  };
}

/**
 * Retention under a steady workload: `sessions` sessions created continuously, each with a state
 * document, the oldest ended whenever more than `live` are active; every `live / 2` creations
 * `store.gc()` removes every ended session (age 0) and cuts the change log to `live / 10` change sets.
 * The disk is sampled after each gc: with retention on it stays flat, and the result is the bytes
 * on disk per live session at the end. The samples are the gc times per 1,000 sessions removed.
 */
export const retentionScenario: Scenario = {
  name: "retention",
  group: "operation",
  title: "Retention: sessions created and ended continuously, gc at a fixed live count",
  perAdapter: true,
  writes: false,
  ops: () => ["retention-gc"],
  async run(ctx): Promise<BenchResult[]> {
    const total = ctx.job.params.sessions ?? 5_000;
    const live = ctx.job.params.live ?? 1_000;
    // Change sets here are batches of 50 to 100 writes: a log of `live` of them would still be filling
    // at the end of the run (the disk growing by the log, not by sessions). A tenth fills early on.
    const keepChanges = Math.max(50, Math.round(live / 10));
    if (ctx.adapter?.name === "memory" || (ctx.adapter?.remote === true && ctx.adapter.name !== "postgres")) {
      return [failedResult(ctx.job, "retention-gc", `${ctx.adapter?.name ?? "this store"} has no disk to keep flat`, "skipped")];
    }
    const store = await open(ctx.url, ctx.job.durability === undefined ? {} : { durability: ctx.job.durability });
    let sizer: Awaited<ReturnType<typeof storeSizer>> | undefined;
    try {
      sizer = await storeSizer(ctx);
      const size = sizer.bytes;
      const empty = await size();
      const active: string[] = [];
      const gcMsPer1000: number[] = [];
      const disk: number[] = [];
      let removed = 0;
      let sinceGc = 0;
      const gc = async () => {
        const t0 = performance.now();
        const r = await store.gc({ endedOlderThanMs: 0, changeLogMaxEntries: keepChanges, usePolicy: false });
        const ms = performance.now() - t0;
        removed += r.sessions;
        if (r.sessions > 0) gcMsPer1000.push((ms / r.sessions) * 1000);
        await sizer!.settle();
        disk.push((await size()) - empty);
      };
      for (let created = 0; created < total; created += BATCH) {
        const ops: BatchOperation[] = [];
        for (let i = created; i < Math.min(total, created + BATCH); i++) {
          const id = `ses-${i}`;
          ops.push({ op: "session.create", id, name: `session ${i}` });
          ops.push({ op: "state.set", session: id, pointer: "/progress", value: { step: i, notes: "x".repeat(200) } });
          active.push(id);
        }
        await store.batch(ops);
        const ending = active.splice(0, Math.max(0, active.length - live));
        if (ending.length > 0) await store.batch(ending.map((id) => ({ op: "session.end", id }) as BatchOperation));
        sinceGc += BATCH;
        if (sinceGc >= live / 2) {
          sinceGc = 0;
          await gc();
        }
      }
      await gc();
      const liveNow = await store.sessions.count("active");
      const ended = (await store.sessions.count()) - liveNow;
      const end = disk[disk.length - 1]!;
      const middle = disk[Math.floor((disk.length - 1) / 2)]!;
      const flat = end <= middle * FLAT_FACTOR;
      const ok = liveNow === live && ended === 0 && removed === total - live && flat;
      const kib = disk.map((b) => Math.round(b / 1024));
      return [
        okResult(ctx.job, "retention-gc", fromSamples(gcMsPer1000), {
          diskBytes: end,
          diskBytesPerSession: end / live,
          check: { expected: total - live, actual: ok ? removed : -1, ok },
          note:
            `ms per 1,000 sessions removed; ${total} sessions created, ${live} live, gc every ${live / 2} keeping ${keepChanges} change sets; ` +
            `${Math.round(end / live)} B per live session; disk after each gc (KiB): ${kib.join(" ")}; ` +
            `flat (end ≤ ${FLAT_FACTOR}× middle): ${flat}${sizer.note}`,
        }),
      ];
    } catch (err) {
      return [failedResult(ctx.job, "retention-gc", err)];
    } finally {
      await sizer?.close().catch(() => {});
      await store.close();
    }
  },
};
