import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { thrown, thrownKind } from "../util/errors.js";

const key = (idempotencyKey: string) => ({ idempotencyKey }) as never;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether this core's writes take `idempotencyKey` (a core without it ignores the option and applies twice). */
async function lacksIdempotency(store: DomainStore): Promise<string | undefined> {
  const err = (await thrown(() => store.state("probe-idempotency").set("/x", 1, key("")))) as { code?: string } | undefined;
  return err?.code === "E_VALIDATION" ? undefined : "this @statehouse/core's writes take no idempotencyKey";
}

export function registerIdempotency(s: SuiteContext): void {
  s.describeGroup("idempotency", "idempotent writes: a retried key returns the first result and changes nothing", [requires.domain], () => {
    s.clause("every kind of write with a key applies once; its retry returns the first result and commits nothing", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      const missing = await lacksIdempotency(store);
      if (missing !== undefined) throw new Error(missing);
      const doc = store.state();
      const first = await doc.increment("/n", 5, key("incr-1"));
      expect(first.value).toBe(5);
      const seq = await store.sequence();
      const again = await doc.increment("/n", 5, key("incr-1"));
      expect(again.value, "the retry's result is the first one's").toBe(5);
      expect(again.revision).toBe(first.revision);
      expect(await doc.get("/n"), "applied once").toBe(5);
      expect(await store.sequence(), "a replay commits nothing").toBe(seq);
      // The same request under another key is a new write.
      expect((await doc.increment("/n", 5, key("incr-2"))).value).toBe(10);

      const session = await store.sessions.create({ name: "keyed" }, key("create-1"));
      const retried = await store.sessions.create({ name: "keyed" }, key("create-1"));
      expect(retried.id, "a retried create returns the session it made, not a second one").toBe(session.id);
      expect((await store.sessions.list({ limit: 10 })).items.filter((x) => x.name === "keyed")).toHaveLength(1);
      const agent = await store.agents.spawn(session.id, { role: "worker" }, key("spawn-1"));
      expect((await store.agents.spawn(session.id, { role: "worker" }, key("spawn-1"))).id).toBe(agent.id);
      expect((await store.agents.list({ sessionId: session.id })).items).toHaveLength(1);
      await store.sessionState(session.id).merge({ a: 1 }, key("merge-1"));
      await store.sessionState(session.id).patch([{ op: "add", path: "/list", value: [] }], key("patch-1"));
      await store.sessionState(session.id).patch([{ op: "add", path: "/list", value: [] }], key("patch-1"));
      expect(await store.sessionState(session.id).get()).toEqual({ a: 1, list: [] });
      await store.config.set("p", { maxConcurrentAgents: 2 }, key("config-1"));
      expect((await store.config.set("p", { maxConcurrentAgents: 2 }, key("config-1"))).revision).toBe(1);
      await store.tools.register({ name: "lint" }, key("tool-1"));
      expect((await store.tools.register({ name: "lint" }, key("tool-1"))).revision).toBe(1);
      const ended = await store.sessions.end(session.id, "completed", key("end-1"));
      expect((await store.sessions.end(session.id, "completed", key("end-1"))).revision, "ending twice is not an error when keyed").toBe(
        ended.revision,
      );

      const batch = [
        { op: "state.increment", pointer: "/b" },
        { op: "state.set", pointer: "/last", value: "batch" },
      ];
      const b1 = await store.batch(batch, key("batch-1") as never);
      const b2 = await store.batch(batch, key("batch-1") as never);
      expect(b2.map((r) => (r as { value?: unknown }).value)).toEqual(b1.map((r) => (r as { value?: unknown }).value));
      expect(await doc.get("/b"), "the batch applied once").toBe(1);
      expect(
        await thrownKind(() => store.batch([{ op: "state.set", pointer: "/x", value: 1, idempotencyKey: "k" }])),
        "a key inside an operation",
      ).toBe("E_VALIDATION");
    });

    s.clause(
      "the same key with a different request is refused with E_CONFLICT; bad keys are E_VALIDATION; a failed write records nothing",
      async (scope) => {
        const { expect } = scope;
        const store = await scope.openStore();
        const missing = await lacksIdempotency(store);
        if (missing !== undefined) throw new Error(missing);
        const doc = store.state();
        await doc.set("/a", 1, key("k"));
        const before = await store.sequence();
        for (const other of [
          () => doc.set("/a", 2, key("k")),
          () => doc.set("/b", 1, key("k")),
          () => doc.increment("/a", 1, key("k")),
          () => store.state("other").set("/a", 1, key("k")),
        ]) {
          const err = (await thrown(other)) as { code?: string; details?: Record<string, unknown> } | undefined;
          expect(err?.code).toBe("E_CONFLICT");
          expect(err?.details?.reason).toBe("idempotency-key-reused");
        }
        expect(await doc.get("/a")).toBe(1);
        expect(await store.sequence(), "refused writes commit nothing").toBe(before);
        for (const bad of ["", "x".repeat(256), "tab\there", "line\n", "ключ"]) {
          expect(await thrownKind(() => doc.set("/a", 3, key(bad))), JSON.stringify(bad.slice(0, 20))).toBe("E_VALIDATION");
        }
        expect(await thrownKind(() => doc.set("/a", 3, key(42 as unknown as string)))).toBe("E_VALIDATION");
        // A write refused by its condition records nothing: the same key runs again once it can succeed.
        const rev = await doc.revision();
        expect(await thrownKind(() => doc.set("/c", 1, { ifRevision: rev + 5, idempotencyKey: "cond" } as never))).toBe("E_CONFLICT");
        expect(
          await thrownKind(() => doc.set("/c", 1, { ifRevision: rev + 5, idempotencyKey: "cond" } as never)),
          "runs again, refused again",
        ).toBe("E_CONFLICT");
        expect(await doc.get("/c")).toBeUndefined();
        // The key covers the condition too: the same write with another condition is another request.
        expect(await thrownKind(() => doc.set("/c", 1, { ifRevision: rev, idempotencyKey: "cond2" } as never))).toBe("no error");
        expect(await thrownKind(() => doc.set("/c", 1, key("cond2")))).toBe("E_CONFLICT");
      },
    );

    s.clause("a key is remembered for the store's window (idempotencyWindowMs), then the same request applies again", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore({ idempotencyWindowMs: 300 } as never);
      const missing = await lacksIdempotency(store);
      if (missing !== undefined) throw new Error(missing);
      const doc = store.state();
      expect((await doc.increment("/n", 1, key("w"))).value).toBe(1);
      expect((await doc.increment("/n", 1, key("w"))).value, "within the window: replayed").toBe(1);
      await pause(400);
      expect((await doc.increment("/n", 1, key("w"))).value, "after the window: applied again").toBe(2);
      expect((await doc.increment("/n", 1, key("w"))).value, "and remembered again").toBe(2);
    });
  });

  const writers = 4;
  s.describeGroup(
    "idempotency-multi-process",
    "a keyed write acknowledged by a process killed with -9, retried from other processes at once: applied once",
    [requires.domain, requires.multiProcess],
    () => {
      s.clause(
        `a keyed increment and create acknowledged, the writer killed -9, then retried by ${writers} processes at once: each applied once, every retry sees the first result`,
        async (scope) => {
          const { expect } = scope;
          const store = await scope.openStore();
          const missing = await lacksIdempotency(store);
          if (missing !== undefined) throw new Error(missing);
          await store.state("counter").set("/n", 0);
          const first = scope.spawn("idempotent-writer", { key: "job-7", hold: true });
          await first.next("ready", 120_000);
          first.send({ cmd: "go" });
          const ack = await first.next("ack", 120_000);
          first.kill("SIGKILL");
          await first.exit;
          const retries = Array.from({ length: writers }, () =>
            scope.spawn("idempotent-writer", { key: "job-7" }, { extra: { lockTimeoutMs: 120_000 } }),
          );
          await Promise.all(retries.map((c) => c.next("ready", 120_000)));
          for (const c of retries) c.send({ cmd: "go" });
          const results = await Promise.all(retries.map((c) => c.result()));
          for (const r of results) {
            expect(r.error, "a retry failed").toBeUndefined();
            expect(r.value, "each retry returns the first result").toBe(ack.value);
            expect(r.session, "each retry returns the session the first one made").toBe(ack.session);
          }
          expect(await store.state("counter").get("/n"), "the increment applied once").toBe(1);
          expect((await store.sessions.list({ limit: 100 })).items.filter((x) => x.name === "keyed")).toHaveLength(1);

          // Fresh keys raced from every process at once: one applies, the rest replay it.
          const racers = Array.from({ length: writers }, () =>
            scope.spawn("idempotent-writer", { key: "race-1" }, { extra: { lockTimeoutMs: 120_000 } }),
          );
          await Promise.all(racers.map((c) => c.next("ready", 120_000)));
          for (const c of racers) c.send({ cmd: "go" });
          const raced = await Promise.all(racers.map((c) => c.result()));
          expect(raced.map((r) => r.error)).toEqual(raced.map(() => undefined));
          expect(new Set(raced.map((r) => r.value)).size, "every racer saw the one result").toBe(1);
          expect(new Set(raced.map((r) => r.session)).size).toBe(1);
          expect(await store.state("counter").get("/n"), "raced keys applied once").toBe(2);
        },
      );
    },
  );
}
