import { type CoordinationStore, lacksAgentRules } from "../coordination-api.js";
import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { thrown, thrownKind } from "../util/errors.js";

async function openRules(scope: ClauseScope): Promise<CoordinationStore> {
  const store = (await scope.openStore()) as DomainStore;
  const missing = lacksAgentRules(store);
  if (missing !== undefined) throw new Error(missing);
  return store as CoordinationStore;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerAgentRules(s: SuiteContext): void {
  s.describeGroup("agent-rules", "agents follow their sessions and their project's limits", [requires.domain], () => {
    s.clause(
      "heartbeat older than heartbeatTimeoutSeconds: stale in get, list and snapshot; reap marks exactly those failed",
      async (scope) => {
        const { expect } = scope;
        const store = await openRules(scope);
        // The timeout must outlast the reads after "alive" heart-beats (a loaded machine took more
        // than 0.3 s over them, and "alive" went stale too), and "quiet" must outlast the timeout.
        await store.config.set("p", { heartbeatTimeoutSeconds: 1.5 });
        await store.sessions.create({ id: "s", project: "p" });
        await store.sessions.create({ id: "free" });
        const quiet = await store.agents.spawn("s", { id: "quiet", role: "r" });
        const alive = await store.agents.spawn("s", { id: "alive", role: "r" });
        await store.agents.spawn("free", { id: "unbounded", role: "r" });
        expect(quiet.stale, "just spawned").toBeUndefined();
        await pause(1_800);
        await store.agents.heartbeat(alive.id);
        expect((await store.agents.get("quiet")).stale, "no heartbeat for 1.8 s, timeout 1.5 s").toBe(true);
        expect((await store.agents.get("alive")).stale, "just heart-beat").toBeUndefined();
        expect((await store.agents.get("unbounded")).stale, "a session without a project has no timeout").toBeUndefined();
        const listed = (await store.agents.list({ sessionId: "s" })).items.map((a) => [a.id, (a as { stale?: boolean }).stale === true]);
        expect(listed.sort()).toEqual([
          ["alive", false],
          ["quiet", true],
        ]);
        const snap = await store.snapshot();
        expect(snap.activeAgents.filter((a) => a.stale === true).map((a) => a.id)).toEqual(["quiet"]);
        const reaped = await store.agents.reap();
        expect(reaped.map((a) => [a.id, a.status])).toEqual([["quiet", "failed"]]);
        expect((await store.agents.get("quiet")).status).toBe("failed");
        expect((await store.agents.get("quiet")).stale, "a failed agent is not stale").toBeUndefined();
        expect((await store.agents.get("alive")).status).toBe("running");
        expect(await store.agents.reap(), "nothing left to reap").toEqual([]);
      },
    );

    s.clause("maxConcurrentAgents: a spawn past the limit is E_CONFLICT naming it; an ended agent frees its slot", async (scope) => {
      const { expect } = scope;
      const store = await openRules(scope);
      await store.config.set("p", { maxConcurrentAgents: 2 });
      await store.sessions.create({ id: "a", project: "p" });
      await store.sessions.create({ id: "b", project: "p" });
      await store.sessions.create({ id: "other", project: "q" });
      await store.agents.spawn("a", { id: "a1", role: "r" });
      await store.agents.spawn("b", { id: "b1", role: "r" });
      const before = await store.sequence();
      const err = (await thrown(() => store.agents.spawn("a", { id: "a2", role: "r" }))) as {
        code?: string;
        message?: string;
        details?: Record<string, unknown>;
      };
      expect(err?.code).toBe("E_CONFLICT");
      expect(err?.message).toContain("maxConcurrentAgents");
      expect(err?.details?.maxConcurrentAgents).toBe(2);
      expect(await store.sequence(), "a refused spawn writes nothing").toBe(before);
      expect(await store.agents.find("a2")).toBeUndefined();
      for (let i = 0; i < 3; i++) await store.agents.spawn("other", { role: "r" }); // another project: no limit
      await store.agents.update("a1", { status: "completed" });
      await store.agents.spawn("a", { id: "a3", role: "r" });
      expect(await thrownKind(() => store.agents.spawn("b", { role: "r" })), "full again").toBe("E_CONFLICT");
      await store.sessions.end("b");
      await store.agents.spawn("a", { id: "a4", role: "r" });
      expect(await thrownKind(() => store.agents.update("a1", { status: "running" })), "re-activating past the limit").toBe("E_CONFLICT");
    });

    s.clause(
      "ending a session ends its active agents (completed, or the session's status); a heartbeat cannot revive them",
      async (scope) => {
        const { expect } = scope;
        const store = await openRules(scope);
        for (const [session, status] of [
          ["s1", "cancelled"],
          ["s2", "failed"],
          ["s3", "completed"],
        ] as const) {
          await store.sessions.create({ id: session });
          await store.agents.spawn(session, { id: `${session}-run`, role: "r" });
          await store.agents.heartbeat(`${session}-run`);
          await store.agents.spawn(session, { id: `${session}-idle`, role: "r", status: "idle" });
          await store.agents.spawn(session, { id: `${session}-done`, role: "r" });
          await store.agents.update(`${session}-done`, { status: "failed" });
          if (session === "s1") await store.sessions.end(session, status);
          else if (session === "s2") await store.sessions.update(session, { status });
          else await store.batch([{ op: "session.end", id: session }]);
          const statuses = (await store.agents.list({ sessionId: session })).items.map((a) => `${a.id}:${a.status}`).sort();
          expect(statuses, `agents of ${session} ended ${status}`).toEqual([
            `${session}-done:failed`,
            `${session}-idle:${status}`,
            `${session}-run:${status}`,
          ]);
          expect(await thrownKind(() => store.agents.heartbeat(`${session}-run`)), "heartbeat of an ended session's agent").toBe(
            "E_VALIDATION",
          );
          expect(await thrownKind(() => store.agents.update(`${session}-idle`, { status: "running" })), "reviving by update").toBe(
            "E_VALIDATION",
          );
          expect((await store.agents.get(`${session}-run`)).status).toBe(status);
        }
      },
    );

    s.clause("writing the state document of a session that does not exist: E_NOT_FOUND, nothing written", async (scope) => {
      const { expect } = scope;
      const store = await openRules(scope);
      const doc = store.sessionState("ghost");
      const before = await store.sequence();
      expect(await thrownKind(() => doc.set("/a", 1))).toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.merge({ a: 1 }))).toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.increment("/n"))).toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.replace({}))).toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.patch([{ op: "add", path: "/a", value: 1 }]))).toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.update(() => ({ a: 1 }), { maxAttempts: 1 }))).toBe("E_NOT_FOUND");
      expect(await thrownKind(() => store.batch([{ op: "state.set", session: "ghost", pointer: "/a", value: 1 }]))).toBe("E_NOT_FOUND");
      expect(await store.sequence(), "nothing committed").toBe(before);
      expect((await doc.read()).revision).toBe(0);
      await store.batch([
        { op: "session.create", id: "born" },
        { op: "state.set", session: "born", pointer: "/a", value: 1 },
      ]);
      expect(await store.sessionState("born").get("/a"), "created in the same batch").toBe(1);
      await store.sessions.delete("born");
      expect(await thrownKind(() => store.sessionState("born").set("/a", 2)), "after the session's delete").toBe("E_NOT_FOUND");
    });
  });

  const processes = 10;
  const limit = 3;
  s.describeGroup(
    "agent-limit-multi-process",
    "maxConcurrentAgents holds across processes",
    [requires.domain, requires.multiProcess],
    () => {
      s.clause(
        `${processes} processes spawn into a project limited to ${limit} at once: exactly ${limit} succeed, the rest E_CONFLICT`,
        async (scope) => {
          const { expect } = scope;
          const store = await openRules(scope);
          await store.config.set("p", { maxConcurrentAgents: limit });
          for (let i = 0; i < processes; i++) await store.sessions.create({ id: `s${i}`, project: "p" });
          const children = Array.from({ length: processes }, (_, i) => scope.spawn("limited-spawn", { session: `s${i}` }));
          await Promise.all(children.map((c) => c.next("ready", 120_000)));
          for (const c of children) c.send({ cmd: "go" });
          const results = await Promise.all(children.map((c) => c.result()));
          const outcomes = results.map((r) => r.outcome as string);
          expect(outcomes.filter((o) => o === "spawned").length, `outcomes: ${outcomes.join(", ")}`).toBe(limit);
          expect(
            outcomes.filter((o) => o !== "spawned"),
            "every other spawn",
          ).toEqual(Array(processes - limit).fill("E_CONFLICT"));
          let active = 0;
          for (const st of ["spawning", "running", "idle"]) active += (await store.agents.list({ status: st, limit: 100 })).items.length;
          expect(active, "active agents in the store").toBe(limit);
        },
      );
    },
  );
}
