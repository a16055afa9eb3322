import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";

function counter(value: unknown): number {
  return (value as { n?: number } | undefined)?.n ?? 0;
}

/**
 * Opening a store must not disturb the processes already writing to it. lmdb-js, for one, set the
 * shared "last committed transaction" to the meta page it read when it began opening, so the next
 * writer built on a stale snapshot and overwrote an acknowledged commit.
 */
export function registerOpenUnderWrite(s: SuiteContext): void {
  const { writers, opens } = s.sizes.openUnderWrite;
  s.describeGroup(
    "open-under-write",
    "opening a store while other processes write loses no acknowledged commit",
    [requires.multiProcess, requires.persistent],
    () => {
      s.clause(
        `${writers} processes increment a shared total and their own counter (one read-modify-write transact each) while another process opens and closes the store ${opens} times: every acknowledged increment is present (counters, revisions, sequence), each writer reads its own counter as its last commit left it, the opener never reads the total or the sequence going backwards`,
        async (scope) => {
          const { expect } = scope;
          // The subject is a commit lost to another process's open, not the flush: relaxed (where
          // declared) makes commits quick, so more of them land while the opener is opening.
          const { caps } = await scope.suite.capabilities();
          const extra = caps.durability.includes("relaxed") ? { durability: "relaxed" as const } : {};
          const before = await scope.open(extra);
          const base = await before.sequence();
          await scope.close(before);

          const ws = Array.from({ length: writers }, (_, writer) => scope.spawn("open-writer", { writer }, { extra }));
          const opener = scope.spawn("reopener", { opens }, { extra });
          await Promise.all([...ws, opener].map((c) => c.next("ready", 120_000)));
          // The writers first, and the opener once each has committed, so every open lands among commits.
          for (const w of ws) w.send({ cmd: "go" });
          await Promise.all(ws.map((w) => w.next("writing", 120_000)));
          opener.send({ cmd: "go" });
          const o = await opener.result(s.sizes.clauseTimeoutMs);
          for (const w of ws) w.send({ cmd: "stop" });
          const results = await Promise.all(ws.map((w) => w.result()));
          const acks = results.map((r) => r.acked as number);
          const acked = acks.reduce((sum, n) => sum + n, 0);

          const a = await scope.open(extra);
          const total = await a.get("open-counter", "total");
          const own = await Promise.all(acks.map((_, k) => a.get("open-counter", `w${k}`)));
          const sequence = await a.sequence();
          await scope.close(a);
          const writerErrors = results.flatMap((r) => r.errors as string[]);
          const openerErrors = o.errors as string[];
          const firstErrors = [...writerErrors, ...openerErrors].slice(0, 3);
          console.log(
            `[statehouse conformance: ${s.options.name}] open-under-write: ${o.opens} opens while ${writers} writers acknowledged ${acks.join(" + ")} = ${acked} increments; final total ${counter(total?.value)}; ${firstErrors.length === 0 ? "no errors" : `first errors: ${firstErrors.join("; ")}`}`,
          );

          expect(
            writerErrors,
            "writer errors (a failed transact, or a writer reading its own counter other than its last commit left it: that commit vanished)",
          ).toEqual([]);
          expect(openerErrors, "opener errors (a total or sequence going backwards, a failed open)").toEqual([]);
          expect(o.opens, "opens completed by the opener").toBe(opens);
          for (const [k, n] of acks.entries()) expect(n, `increments acknowledged by writer ${k}`).toBeGreaterThan(0);
          expect(counter(total?.value), "final total = the sum of acknowledged increments").toBe(acked);
          expect(total?.revision, "the total's revision = the sum of acknowledged increments").toBe(acked);
          for (const [k, n] of acks.entries()) {
            expect(counter(own[k]?.value), `writer ${k}'s counter = its acknowledged increments`).toBe(n);
            expect(own[k]?.revision, `writer ${k}'s counter revision = its acknowledged increments`).toBe(n);
          }
          expect(sequence - base, "the sequence moved by one per acknowledged increment").toBe(acked);
          expect(o.last as number, "the last total the opener read is at most the final total").toBeLessThanOrEqual(acked);
        },
      );
    },
  );
}
