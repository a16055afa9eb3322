import { type CoordinationStore, type LeaseCondition, lacksLeases } from "../coordination-api.js";
import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { thrown, thrownKind } from "../util/errors.js";

async function openLeases(scope: ClauseScope): Promise<CoordinationStore> {
  const store = (await scope.openStore()) as DomainStore;
  const missing = lacksLeases(store);
  if (missing !== undefined) throw new Error(missing);
  return store as CoordinationStore;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fence = (name: string, token: number) => ({ ifLease: { name, token } }) as LeaseCondition as never;

export function registerLeases(s: SuiteContext): void {
  s.describeGroup(
    "leases",
    "leases with fencing tokens: one holder, tokens only grow, fenced writes refused once moved on",
    [requires.domain],
    () => {
      s.clause(
        "acquire, conflict naming the holder, renew, release; tokens only grow; expiry frees it for the next holder",
        async (scope) => {
          const { expect } = scope;
          const store = await openLeases(scope);
          expect(await store.leases.get("l")).toBeUndefined();
          // Long ttls while the clause itself is acting (a loaded machine is slow); a renew to 1 ms ends it.
          const a = await store.leases.acquire("l", { holder: "A", ttlMs: 60_000 });
          expect(a).toMatchObject({ name: "l", holder: "A", token: 1, held: true });
          const err = (await thrown(() => store.leases.acquire("l", { holder: "B", ttlMs: 1000 }))) as {
            code?: string;
            message?: string;
            details?: Record<string, unknown>;
          };
          expect(err?.code).toBe("E_CONFLICT");
          expect(err?.message).toContain('"A"');
          expect(err?.details).toMatchObject({ holder: "A", currentToken: 1 });
          const again = await store.leases.acquire("l", { holder: "A", ttlMs: 60_000 });
          expect(again.token, "the holder re-acquiring keeps its token").toBe(1);
          const renewed = await store.leases.renew("l", { token: 1, ttlMs: 1 });
          expect(renewed).toMatchObject({ holder: "A", token: 1 });
          expect(Date.parse(renewed.expiresAt), "renewed to 1 ms from now").toBeLessThan(Date.parse(a.expiresAt));
          await pause(50);
          expect((await store.leases.get("l"))?.held, "past its ttl").toBe(false);
          expect(await thrownKind(() => store.leases.renew("l", { token: 1 })), "renewing an expired lease").toBe("E_CONFLICT");
          const b = await store.leases.acquire("l", { holder: "B", ttlMs: 10_000 });
          expect(b.token, "a new holder takes the next token").toBe(2);
          expect(await thrownKind(() => store.leases.release("l", { token: 1 })), "releasing with an old token").toBe("E_CONFLICT");
          expect(await store.leases.release("l", { token: 2 })).toBe(true);
          expect(await store.leases.get("l")).toMatchObject({ holder: null, token: 2, held: false });
          const c = await store.leases.acquire("l", { holder: "B", ttlMs: 10_000 });
          expect(c.token, "after a release, even the same holder gets a new token").toBe(3);
          for (const bad of [0, -1, 1.5, 86_400_001, Number.NaN]) {
            expect(await thrownKind(() => store.leases.acquire("m", { holder: "A", ttlMs: bad })), `ttlMs ${bad}`).toBe("E_VALIDATION");
          }
          expect(await thrownKind(() => store.leases.acquire("m", { holder: "", ttlMs: 10 }))).toBe("E_VALIDATION");
          expect(await thrownKind(() => store.leases.acquire("../m", { holder: "A", ttlMs: 10 }))).toBe("E_INVALID_PATH");
        },
      );

      s.clause(
        "ifLease on writes: accepted with the current token; refused with E_CONFLICT and the current token once it moved on",
        async (scope) => {
          const { expect } = scope;
          const store = await openLeases(scope);
          const one = await store.leases.acquire("w", { holder: "A", ttlMs: 60_000 });
          await store.sessions.create({ id: "s" });
          await store.state().set("/x", 1, fence("w", one.token));
          await store.sessionState("s").merge({ y: 1 }, fence("w", one.token));
          await store.batch([{ op: "state.increment", pointer: "/n", ifLease: { name: "w", token: one.token } }]);
          await store.leases.renew("w", { token: one.token, ttlMs: 1 });
          await pause(50);
          const two = await store.leases.acquire("w", { holder: "B", ttlMs: 10_000 });
          const before = await store.sequence();
          const err = (await thrown(() => store.state().set("/x", 99, fence("w", one.token)))) as {
            code?: string;
            details?: Record<string, unknown>;
          };
          expect(err?.code).toBe("E_CONFLICT");
          expect(err?.details?.currentToken).toBe(two.token);
          expect(await thrownKind(() => store.sessions.update("s", { name: "n" }, fence("w", one.token)))).toBe("E_CONFLICT");
          expect(await thrownKind(() => store.tools.register({ name: "t" }, fence("w", one.token)))).toBe("E_CONFLICT");
          expect(
            await thrownKind(() => store.batch([{ op: "state.set", pointer: "/x", value: 99, ifLease: { name: "w", token: one.token } }])),
          ).toBe("E_CONFLICT");
          expect(await thrownKind(() => store.state().set("/x", 99, fence("never", 1))), "a lease never acquired").toBe("E_CONFLICT");
          expect(await store.sequence(), "refused writes commit nothing").toBe(before);
          await store.state().set("/x", 2, fence("w", two.token));
          expect(await store.state().get("/x")).toBe(2);
          expect(await thrownKind(() => store.state().set("/x", 3, fence("w", 0)))).toBe("E_VALIDATION");
        },
      );
    },
  );

  const racers = 20;
  const rounds = s.options.sizes === "full" ? 5 : 1;
  s.describeGroup(
    "lease-multi-process",
    "one lease holder at a time across processes; a stopped holder's fenced write is refused",
    [requires.domain, requires.multiProcess],
    () => {
      s.clause(
        `${racers} processes race for one lease (${rounds} round${rounds === 1 ? "" : "s"} each): one holder at a time, every token used by exactly one holder`,
        async (scope) => {
          const { expect } = scope;
          const store = await openLeases(scope);
          await store.state("race-log").replace({ log: [] });
          // A generous lock timeout: the clause is about mutual exclusion, and 20 processes on a loaded
          // 2-core machine can keep a writer waiting past the default 10 s.
          const children = Array.from({ length: racers }, (_, racer) =>
            scope.spawn("lease-racer", { racer, rounds }, { extra: { lockTimeoutMs: 120_000 } }),
          );
          await Promise.all(children.map((c) => c.next("ready", 120_000)));
          for (const c of children) c.send({ cmd: "go" });
          const results = await Promise.all(children.map((c) => c.result()));
          expect(
            results.flatMap((r) => r.errors as string[]),
            "errors other than E_CONFLICT while held",
          ).toEqual([]);
          const tokens = results.flatMap((r) => r.tokens as number[]).sort((a, b) => a - b);
          expect(tokens, "each acquisition took the next token, none twice").toEqual(
            Array.from({ length: racers * rounds }, (_, i) => i + 1),
          );
          const log = (await store.state("race-log").get("/log")) as Array<[string, number]>;
          expect(log.length, "two fenced entries per acquisition").toBe(racers * rounds * 2);
          const owner = new Map<number, string>();
          for (let i = 0; i < log.length; i++) {
            const [holder, token] = log[i]!;
            if (i > 0)
              expect(token, `entry ${i}: tokens never go back (an older holder wrote after a newer one)`).toBeGreaterThanOrEqual(
                log[i - 1]![1],
              );
            expect(owner.get(token) ?? holder, `token ${token} used by one holder only`).toBe(holder);
            owner.set(token, holder);
          }
          // Held one at a time: each token's two entries are adjacent, never interleaved with another's.
          for (let i = 0; i < log.length; i += 2) expect(log[i + 1]![1], `entries ${i} and ${i + 1}`).toBe(log[i]![1]);
        },
      );

      s.clause("a holder SIGSTOPped past its ttl, then continued: its fenced write is refused, its successor's kept", async (scope) => {
        const { expect } = scope;
        const store = await openLeases(scope);
        const ttlMs = 1_000;
        const first = scope.spawn("lease-holder", { ttlMs });
        const held = await first.next("held", 120_000);
        first.kill("SIGSTOP");
        try {
          await pause(ttlMs + 500);
          const next = await store.leases.acquire("job", { holder: "second", ttlMs: 60_000 });
          expect(next.token, "the successor's token").toBeGreaterThan(held.token as number);
          await store.state("work").set("/owner", "second", fence("job", next.token));
          first.send({ cmd: "write" });
        } finally {
          first.kill("SIGCONT");
        }
        const r = await first.result();
        expect(r.outcome, "the woken holder's fenced write").toBe("E_CONFLICT");
        expect(r.currentToken, "the refusal carries the current token").toBe((held.token as number) + 1);
        expect(await store.state("work").get("/owner"), "the successor's write is kept").toBe("second");
      });
    },
  );
}
