import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { StorageAdapter } from "@statehouse/core";
import type { ChildHandle } from "../harness/child-process.js";
import { requires } from "../requirements.js";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { errorKind } from "../util/errors.js";
import { temporaryFiles } from "../util/fs-walk.js";
import { allChanges, sequenceProblem } from "./changes.js";
import { listAll } from "./listing.js";

const WRITERS = 4;
const PAD_BYTES = 1024;
/** TESTPLAN "holder killed": a waiter proceeds within 2 s of a lock holder's SIGKILL. */
const STALE_LOCK_BOUND_MS = 2_000;

/**
 * Spawns the writers of a round. They load Node and their modules, then wait for "go": the next
 * round's start-up overlaps this round's checks, so the kill window is spent writing.
 */
function spawnWriters(scope: ClauseScope, role: string, params: (writer: number) => Record<string, unknown>): ChildHandle[] {
  return Array.from({ length: WRITERS }, (_, k) => scope.spawn(role, params(k)));
}

/**
 * Starts the writers and SIGKILLs each at its own random moment 0.2–1 s later. Writer 0's clock
 * starts at "go", so some kills land while it opens (and recovers) the store; the others' clocks
 * start once they have opened it, so most kills land among commits.
 */
async function killRound(writers: ChildHandle[]): Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  const arm = (w: ChildHandle) => timers.push(setTimeout(() => w.kill("SIGKILL"), 200 + Math.random() * 800));
  writers.forEach((w, k) => {
    w.send({ cmd: "go" });
    if (k === 0) arm(w);
    else
      w.next("ready", 120_000).then(
        () => arm(w),
        () => w.kill("SIGKILL"),
      );
  });
  await Promise.all(writers.map((w) => w.exit));
  for (const t of timers) clearTimeout(t);
}

interface RoundCheck {
  readonly failures: string[];
  readonly committed: number;
}

/** Checks one round's writes after reopening: integrity, acknowledged writes, counters, the sequence. */
async function checkRound(a: StorageAdapter, round: number, writers: ChildHandle[], lastSeq: number): Promise<RoundCheck> {
  const failures: string[] = [];
  const fail = (what: string) => failures.push(`round ${round}: ${what}`);
  writers.forEach((w, k) => {
    if (w.exited?.signal !== "SIGKILL") {
      const fatal = w.all("fatal")[0];
      fail(
        `writer ${k} ended by itself (${fatal === undefined ? `exit ${w.exited?.code}` : `${String(fatal.kind)}: ${String(fatal.message)}`}; stderr: ${w.stderr.trim().slice(-500)})`,
      );
    }
  });
  if (a.check !== undefined) {
    const report = await a.check();
    if (!report.ok || report.problems.length > 0) fail(`check() found problems: ${report.problems.join("; ")}`);
  }
  let committed = 0;
  for (let k = 0; k < writers.length; k++) {
    const acks = writers[k]!.all("ack").map((m) => m.n as number);
    const lastAck = acks.length === 0 ? -1 : Math.max(...acks);
    const { records } = await listAll(a, "crash", { prefix: `r${round}w${k}n`, limit: 1000 });
    const ns = new Set<number>();
    for (const r of records) {
      const v = r.value as { round?: unknown; writer?: unknown; n?: unknown; pad?: unknown };
      if (
        v.round !== round ||
        v.writer !== k ||
        typeof v.n !== "number" ||
        r.id !== `r${round}w${k}n${v.n}` ||
        v.pad !== "p".repeat(PAD_BYTES) ||
        r.revision !== 1
      ) {
        fail(`record ${r.id} is not what was written: ${JSON.stringify(v).slice(0, 200)}`);
        continue;
      }
      ns.add(v.n);
    }
    // A writer commits n = 0, 1, 2, … in order: exactly 0..L must exist, L ≥ its last ack (it may have committed one more, unacknowledged).
    const last = ns.size - 1;
    for (let n = 0; n <= last; n++) if (!ns.has(n)) fail(`writer ${k}: record n=${n} missing below n=${last} (a lost or torn commit)`);
    if (last < lastAck) fail(`writer ${k}: acknowledged n=${lastAck} but only n ≤ ${last} are present`);
    if (last > lastAck + 1) fail(`writer ${k}: ${last - lastAck} records past the last ack n=${lastAck}`);
    const counter = (await a.get("crash-counter", `w${k}`))?.value as { round?: number; n?: number } | undefined;
    if (last >= 0 && (counter?.round !== round || counter?.n !== last))
      fail(`writer ${k}: its counter ${JSON.stringify(counter)} disagrees with its last record n=${last}`);
    committed += ns.size;
  }
  const total = ((await a.get("crash-counter", "total"))?.value as { n?: number } | undefined)?.n ?? 0;
  const count = await a.count("crash");
  if (total !== count) fail(`the shared total counter says ${total} commits but ${count} log records exist`);
  const seq = await a.sequence();
  if (seq - lastSeq !== committed) fail(`the sequence moved by ${seq - lastSeq} for ${committed} commits`);
  const from = Math.max(lastSeq + 1, seq - a.capabilities.changeRetention + 1);
  const sets = await allChanges(a, from - 1);
  const gap = sequenceProblem(sets, from, seq);
  if (gap !== undefined) fail(`change sequence: ${gap}`);
  if (sets.some((c) => c.changes.length !== 3)) fail("a change set does not hold the 3 writes of its transaction");
  return { failures, committed };
}

export function registerCrashLoop(s: SuiteContext): void {
  const rounds = s.sizes.crashRounds;
  s.describeGroup(
    "crash-loop",
    "acknowledged writes survive kill -9; nothing is torn; nothing is left behind",
    [requires.multiProcess, requires.persistent],
    () => {
      s.clause(
        `${rounds} rounds of ${WRITERS} writers SIGKILLed at random 0.2–1 s: 0 integrity failures, every acknowledged write present, 0 sequence gaps; then leftovers: no temporary files, no stale lock`,
        async (scope) => {
          const { expect } = scope;
          const failures: string[] = [];
          let lastSeq = 0;
          let acked = 0;
          let committed = 0;
          let checkMs = 0;
          const loopStart = performance.now();
          const writersOf = (round: number) => spawnWriters(scope, "crash-writer", (writer) => ({ writer, round, padBytes: PAD_BYTES }));
          let next = writersOf(0);
          for (let round = 0; round < rounds; round++) {
            const writers = next;
            await killRound(writers);
            if (round + 1 < rounds) next = writersOf(round + 1);
            const tc = performance.now();
            acked += writers.reduce((sum, w) => sum + w.all("ack").length, 0);
            let a: StorageAdapter;
            try {
              a = await scope.open();
            } catch (err) {
              failures.push(`round ${round}: reopening after the kills failed: ${errorKind(err)}`);
              break;
            }
            const r = await checkRound(a, round, writers, lastSeq);
            failures.push(...r.failures);
            committed += r.committed;
            lastSeq = await a.sequence();
            await scope.close(a);
            checkMs += performance.now() - tc;
            if (failures.length > 20) break;
          }
          console.log(
            `[statehouse conformance: ${s.options.name}] crash loop: ${rounds} rounds, ${acked} acknowledged and ${committed} committed writes, ${failures.length} failures; ${Math.round(performance.now() - loopStart)} ms, of which ${Math.round(checkMs)} ms reopening and checking`,
          );
          expect(failures, "integrity failures").toEqual([]);
          expect(acked, "the writers acknowledged writes (the loop exercised the store)").toBeGreaterThan(0);

          // Leftovers: a fresh open after the last kill cleans up and is not blocked by a dead process's lock.
          const a = await scope.open();
          const records = await listAll(a, "crash", { limit: 1000 });
          expect(records.records.length, "every record readable after the loop").toBe(committed);
          const t0 = performance.now();
          await a.transact((tx) => tx.put("crash-counter", "after", { ok: true }));
          const elapsed = performance.now() - t0;
          expect(elapsed, `a write after the loop waited ${Math.round(elapsed)} ms for a dead process's lock`).toBeLessThanOrEqual(
            STALE_LOCK_BOUND_MS,
          );
          expect(temporaryFiles(scope.dir), "temporary files left after reopen (names matching /tmp|\\.tmp|~$/)").toEqual([]);
        },
      );

      s.clause("control: the same harness with a plain non-atomic writeFileSync of a JSON file detects ≥ 1 corruption", async (scope) => {
        const { expect } = scope;
        const file = join(scope.dir, "control.json");
        // Large writes keep each writer inside its truncate-then-write window most of the time.
        const padBytes = 4 << 20;
        let corruptions = 0;
        let tried = 0;
        for (let round = 0; round < s.sizes.crashControlRounds && corruptions === 0; round++) {
          tried++;
          await killRound(spawnWriters(scope, "crash-control-writer", (writer) => ({ writer, file, padBytes })));
          let text = "";
          try {
            text = readFileSync(file, "utf8");
          } catch {
            continue; // not written yet
          }
          try {
            const v = JSON.parse(text) as { n?: unknown; pad?: unknown };
            if (typeof v.n !== "number" || v.pad !== "p".repeat(padBytes)) corruptions++;
          } catch {
            corruptions++;
          }
        }
        console.log(`[statehouse conformance: ${s.options.name}] crash control: ${corruptions} corruption(s) in ${tried} round(s)`);
        expect(corruptions, `corruptions seen in ${tried} rounds of the non-atomic control`).toBeGreaterThanOrEqual(1);
      });
    },
  );
}
