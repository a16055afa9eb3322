import { type BatchOperation, open } from "@statehouse/core";
import { diskUsage } from "../disk.js";
import { fromSamples } from "../measure.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

/** Sessions created (and, past the live count, ended) per transaction. */
const BATCH = 50;
/** The disk is flat when its last sample is within this factor of the one at the middle of the run. */
const FLAT_FACTOR = 1.5;

/**
 * Retention under a steady workload: `sessions` sessions created continuously, each with a state
 * document, the oldest ended whenever more than `live` are active; every `live / 2` creations
 * `store.gc()` removes every ended session (age 0) and cuts the change log to `live` change sets.
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
    if (ctx.adapter?.name === "memory" || ctx.adapter?.remote === true) {
      return [failedResult(ctx.job, "retention-gc", `${ctx.adapter?.name ?? "this store"} has no disk to keep flat`, "skipped")];
    }
    const store = await open(ctx.url, ctx.job.durability === undefined ? {} : { durability: ctx.job.durability });
    try {
      const empty = await diskUsage(ctx.dir);
      const active: string[] = [];
      const gcMsPer1000: number[] = [];
      const disk: number[] = [];
      let removed = 0;
      let sinceGc = 0;
      const gc = async () => {
        const t0 = performance.now();
        const r = await store.gc({ endedOlderThanMs: 0, changeLogMaxEntries: live, usePolicy: false });
        const ms = performance.now() - t0;
        removed += r.sessions;
        if (r.sessions > 0) gcMsPer1000.push((ms / r.sessions) * 1000);
        disk.push((await diskUsage(ctx.dir)) - empty);
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
            `ms per 1,000 sessions removed; ${total} sessions created, ${live} live, gc every ${live / 2}; ` +
            `${Math.round(end / live)} B per live session; disk after each gc (KiB): ${kib.join(" ")}; ` +
            `flat (end ≤ ${FLAT_FACTOR}× middle): ${flat}`,
        }),
      ];
    } catch (err) {
      return [failedResult(ctx.job, "retention-gc", err)];
    } finally {
      await store.close();
    }
  },
};
