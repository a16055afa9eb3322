import { compareKeys } from "@statehouse/core/spi";
import type { DomainStore, Page, Session } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { errorKind, thrown, thrownKind } from "../util/errors.js";

/** Follows cursors; fails on a page larger than `limit` or a cursor that does not advance. */
async function pageAll<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await fetch(cursor);
    if (page.items.length > limit) throw new Error(`a page of ${page.items.length} items exceeds limit ${limit}`);
    out.push(...page.items);
    if (page.cursor === undefined) return out;
    if (page.cursor === cursor) throw new Error("a cursor that does not advance");
    cursor = page.cursor;
  }
  throw new Error("paging does not terminate");
}

/** Newest first by (createdAt, id), the default session order. */
function byCreated(a: Session, b: Session): number {
  return compareKeys(a.createdAt, b.createdAt) || compareKeys(a.id, b.id);
}

async function seedSessions(store: DomainStore): Promise<Session[]> {
  const made: Session[] = [];
  for (let i = 0; i < 21; i++) {
    const project = i % 3 === 0 ? "alpha" : i % 3 === 1 ? "beta" : undefined;
    made.push(
      await store.sessions.create({
        id: `s${String(i).padStart(2, "0")}`,
        name: `session ${i}`,
        ...(project !== undefined && { project }),
        metadata: { i },
      }),
    );
  }
  for (const i of [2, 5, 8]) await store.sessions.end(`s${String(i).padStart(2, "0")}`);
  await store.sessions.end("s11", "failed");
  return made;
}

export function registerDomainRecords(s: SuiteContext): void {
  s.describeGroup("domain-sessions", "sessions: create, list (filter, order, cursor), update, end, delete", [requires.domain], () => {
    s.clause("create and get: defaults, generated ids, duplicates refused, unknown ids not found", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      const a = await store.sessions.create();
      expect(a.status).toBe("active");
      expect(a.revision).toBe(1);
      expect(a.name, "the name defaults to the id").toBe(a.id);
      expect(Number.isNaN(Date.parse(a.createdAt))).toBe(false);
      expect(a.metadata).toEqual({});
      const b = await store.sessions.create({ name: "second" });
      expect(b.id === a.id, "generated ids are unique").toBe(false);
      expect(await store.sessions.get(a.id)).toEqual(a);
      const named = await store.sessions.create({ id: "fixed", project: "p1", metadata: { k: [1] } });
      expect((await store.sessions.get("fixed")).project).toBe("p1");
      expect(named.metadata).toEqual({ k: [1] });
      expect(await thrownKind(() => store.sessions.create({ id: "fixed" })), "the same id again").toBe("E_CONFLICT");
      expect(await thrownKind(() => store.sessions.get("nope")), "an unknown session").toBe("E_NOT_FOUND");
      expect(await store.sessions.find("nope")).toBeUndefined();
      expect(await thrownKind(() => store.sessions.create({ id: "../x" })), "a hostile id").toBe("E_INVALID_PATH");
      expect(await thrownKind(() => store.sessions.create({ metadata: [] as never })), "metadata that is not an object").toBe(
        "E_VALIDATION",
      );
    });

    s.clause(
      "list: filters by status and project, orders by createdAt / updatedAt both ways, pages without gaps or duplicates",
      async (scope) => {
        const { expect } = scope;
        const store = await scope.openStore();
        await seedSessions(store);
        const all = (await store.sessions.list({ limit: 1000 })).items;
        expect(all.length).toBe(21);
        const sortedDesc = [...all].sort(byCreated).reverse();
        expect(
          all.map((x) => x.id),
          "default: newest first",
        ).toEqual(sortedDesc.map((x) => x.id));
        const asc = (await store.sessions.list({ direction: "asc", limit: 1000 })).items;
        expect(asc.map((x) => x.id)).toEqual([...sortedDesc].reverse().map((x) => x.id));
        const byUpdated = (await store.sessions.list({ orderBy: "updatedAt", limit: 1000 })).items;
        const expectUpdated = [...all].sort((x, y) => compareKeys(x.updatedAt, y.updatedAt) || compareKeys(x.id, y.id)).reverse();
        expect(byUpdated.map((x) => x.id)).toEqual(expectUpdated.map((x) => x.id));
        const filters: Array<Record<string, string>> = [
          { status: "active" },
          { status: "completed" },
          { status: "failed" },
          { project: "alpha" },
          { project: "beta", status: "active" },
          { project: "alpha", status: "completed" },
        ];
        for (const f of filters) {
          const want = sortedDesc
            .filter((x) => (f.status === undefined || x.status === f.status) && (f.project === undefined || x.project === f.project))
            .map((x) => x.id);
          for (const limit of [1, 2, 5, 1000]) {
            for (const direction of ["desc", "asc"] as const) {
              const got = await pageAll(
                (cursor) => store.sessions.list({ ...f, direction, limit, ...(cursor !== undefined && { cursor }) }),
                limit,
              );
              expect(
                got.map((x) => x.id),
                `${JSON.stringify(f)}, ${direction}, limit ${limit}`,
              ).toEqual(direction === "desc" ? want : [...want].reverse());
            }
          }
        }
        expect(await thrownKind(() => store.sessions.list({ status: "bogus" })), "an unknown status").toBe("E_VALIDATION");
        expect(await thrownKind(() => store.sessions.list({ limit: 0 })), "limit 0").toBe("E_VALIDATION");
      },
    );

    s.clause(
      "update merges metadata; end sets a final status once; delete removes the session, its state and its agents",
      async (scope) => {
        const { expect } = scope;
        const store = await scope.openStore();
        await store.sessions.create({ id: "s", metadata: { a: 1, b: { c: 2 } } });
        const u = await store.sessions.update("s", { name: "renamed", metadata: { b: { c: null, d: 3 }, e: 4 } });
        expect(u.name).toBe("renamed");
        expect(u.metadata).toEqual({ a: 1, b: { d: 3 }, e: 4 });
        expect(u.revision).toBe(2);
        const ended = await store.sessions.end("s");
        expect(ended.status).toBe("completed");
        expect(typeof ended.endedAt).toBe("string");
        expect(await thrownKind(() => store.sessions.end("s")), "ending twice").toBe("E_VALIDATION");
        expect(await thrownKind(() => store.sessions.end("s", "bogus")), "a status that is not final").toBe("E_VALIDATION");
        expect(await thrownKind(() => store.sessions.update("nope", { name: "x" })), "updating an unknown session").toBe("E_NOT_FOUND");
        const stale = await thrown(() => store.sessions.update("s", { name: "y" }, { ifRevision: 1 }));
        expect(errorKind(stale)).toBe("E_CONFLICT");

        await store.sessions.create({ id: "doomed" });
        await store.sessionState("doomed").set("/x", 1);
        const agents = [await store.agents.spawn("doomed", { role: "coder" }), await store.agents.spawn("doomed", { role: "tester" })];
        await store.sessions.create({ id: "kept" });
        const keptAgent = await store.agents.spawn("kept", { role: "coder" });
        await store.sessionState("kept").set("/y", 2);
        await store.sessions.delete("doomed");
        expect(await store.sessions.find("doomed")).toBeUndefined();
        expect(await store.sessionState("doomed").read(), "its state document went with it").toEqual({ value: undefined, revision: 0 });
        for (const a of agents) expect(await store.agents.find(a.id), `agent ${a.id} went with it`).toBeUndefined();
        expect((await store.agents.list({ sessionId: "doomed" })).items).toEqual([]);
        expect(await store.agents.find(keptAgent.id), "another session's agent stays").toBeDefined();
        expect(await store.sessionState("kept").get("/y")).toBe(2);
        expect(await thrownKind(() => store.sessions.delete("doomed")), "deleting twice").toBe("E_NOT_FOUND");
      },
    );
  });

  s.describeGroup("domain-agents", "agents: spawn, get, list by session and status, update, heartbeat", [requires.domain], () => {
    s.clause("spawn into an active session only; list by session and status; heartbeat and update", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      await store.sessions.create({ id: "s1" });
      await store.sessions.create({ id: "s2" });
      const a1 = await store.agents.spawn("s1", { role: "coder", pid: 1234, metadata: { model: "m" } });
      expect(a1).toMatchObject({
        sessionId: "s1",
        role: "coder",
        status: "spawning",
        pid: 1234,
        heartbeatAt: null,
        metadata: { model: "m" },
        revision: 1,
      });
      const a2 = await store.agents.spawn("s1", { id: "agent-two", role: "tester", status: "running" });
      const a3 = await store.agents.spawn("s2", { role: "coder" });
      expect(a2.id).toBe("agent-two");
      expect(await store.agents.get(a1.id)).toEqual(a1);
      expect((await store.sessions.get("s1")).agentCount, "the session counts its agents").toBe(2);
      expect(await thrownKind(() => store.agents.spawn("nope", { role: "coder" })), "into an unknown session").toBe("E_NOT_FOUND");
      expect(await thrownKind(() => store.agents.spawn("s1", { role: "" })), "an empty role").toBe("E_VALIDATION");
      expect(await thrownKind(() => store.agents.spawn("s1", { id: "agent-two", role: "x" })), "a duplicate agent id").toBe("E_CONFLICT");
      expect(await thrownKind(() => store.agents.get("nope")), "an unknown agent").toBe("E_NOT_FOUND");
      const inS1 = (await store.agents.list({ sessionId: "s1" })).items.map((a) => a.id).sort();
      expect(inS1).toEqual([a1.id, a2.id].sort());
      expect((await store.agents.list({ status: "running" })).items.map((a) => a.id)).toEqual([a2.id]);
      expect((await store.agents.list({ sessionId: "s1", status: "spawning" })).items.map((a) => a.id)).toEqual([a1.id]);
      expect((await store.agents.list({ sessionId: "s2" })).items.map((a) => a.id)).toEqual([a3.id]);
      const all = await pageAll((cursor) => store.agents.list({ limit: 1, ...(cursor !== undefined && { cursor }) }), 1);
      expect(new Set(all.map((a) => a.id)).size, "paging agents: no duplicates").toBe(3);
      const hb = await store.agents.heartbeat(a1.id);
      expect(hb.status, "a spawning agent that beats is running").toBe("running");
      expect(typeof hb.heartbeatAt).toBe("string");
      expect(hb.revision).toBe(2);
      const up = await store.agents.update(a1.id, { status: "completed", metadata: { model: null, done: true } });
      expect(up).toMatchObject({ status: "completed", metadata: { done: true }, revision: 3 });
      expect((await store.agents.list({ status: "completed" })).items.map((a) => a.id)).toEqual([a1.id]);
      expect(
        (await store.agents.list({ status: "running" })).items.map((a) => a.id),
        "the status index follows updates",
      ).toEqual([a2.id]);
      expect(await thrownKind(() => store.agents.update(a1.id, { status: "bogus" })), "an unknown status").toBe("E_VALIDATION");
      await store.sessions.end("s2");
      expect(await thrownKind(() => store.agents.spawn("s2", { role: "late" })), "into an ended session").toBe("E_VALIDATION");
    });
  });

  s.describeGroup("domain-config", "project config is validated: an invalid config never lands", [requires.domain], () => {
    s.clause(
      "valid configs round-trip; invalid ones give E_CONFIG with messages and write nothing; a custom schema extends the built-in one",
      async (scope) => {
        const { expect } = scope;
        const store = await scope.openStore();
        const good = { name: "demo", maxConcurrentAgents: 4, roles: { coder: { model: "m", maxTurns: 10 } }, custom: { anything: true } };
        const set = await store.config.set("demo", good);
        expect(set.revision).toBe(1);
        expect((await store.config.get("demo")).config).toEqual(good);
        const seq = await store.sequence();
        const bad = { name: 5, maxConcurrentAgents: 0, roles: { coder: { maxTurns: "many" } } };
        expect((await store.config.validate(bad)).length, "validate() lists the problems").toBeGreaterThan(0);
        expect(await store.config.validate(good)).toEqual([]);
        const err = await thrown(() => store.config.set("demo", bad as never));
        expect(errorKind(err)).toBe("E_CONFIG");
        const issues = (err as { details?: { issues?: unknown } }).details?.issues;
        expect(Array.isArray(issues) && issues.length > 0, "the error carries the messages").toBe(true);
        expect(await thrownKind(() => store.config.set("fresh", bad as never))).toBe("E_CONFIG");
        expect(await thrownKind(() => store.config.set("arr", [] as never)), "a config that is not an object").toBe("E_CONFIG");
        expect((await store.config.get("demo")).config, "the old config stays").toEqual(good);
        expect(await store.config.find("fresh")).toBeUndefined();
        expect(await store.sequence(), "nothing was written").toBe(seq);
        expect(await thrownKind(() => store.config.get("nope"))).toBe("E_NOT_FOUND");
        await scope.closeStore(store);
        const strict = await scope.openStore({ config: { schema: { type: "object", required: ["owner"] }, mode: "extend" } });
        expect(await thrownKind(() => strict.config.set("p", { name: "no owner" })), "the extension's rule").toBe("E_CONFIG");
        expect(await thrownKind(() => strict.config.set("p", { owner: "me", name: 5 } as never)), "the built-in rule still holds").toBe(
          "E_CONFIG",
        );
        expect((await strict.config.set("p", { owner: "me", name: "ok" })).revision).toBe(1);
      },
    );
  });

  s.describeGroup("domain-tools", "tools registry: register, get, list, unregister", [requires.domain], () => {
    s.clause("register / replace / ifAbsent / list in name order / unregister", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      for (const name of ["zeta", "alpha", "Mid", "beta.v2"]) {
        await store.tools.register({ name, description: `the ${name} tool`, command: `${name} --run`, inputSchema: { type: "object" } });
      }
      const t = await store.tools.get("alpha");
      expect(t).toMatchObject({
        name: "alpha",
        description: "the alpha tool",
        command: "alpha --run",
        inputSchema: { type: "object" },
        revision: 1,
      });
      const again = await store.tools.register({ name: "alpha", description: "v2" });
      expect(again.revision, "registering again replaces").toBe(2);
      expect(await thrownKind(() => store.tools.register({ name: "alpha" }, { ifAbsent: true })), "ifAbsent on a registered tool").toBe(
        "E_CONFLICT",
      );
      expect(await thrownKind(() => store.tools.register({ name: "../x" })), "a hostile name").toBe("E_INVALID_PATH");
      expect(await thrownKind(() => store.tools.register({ name: "bad", inputSchema: 5 })), "a schema that is not a schema").toBe(
        "E_VALIDATION",
      );
      const names = (await pageAll((cursor) => store.tools.list({ limit: 2, ...(cursor !== undefined && { cursor }) }), 2)).map(
        (x) => x.name,
      );
      expect(names).toEqual(["Mid", "alpha", "beta.v2", "zeta"]);
      expect(await store.tools.unregister("zeta")).toBe(true);
      expect(await thrownKind(() => store.tools.unregister("zeta")), "unregistering twice").toBe("E_NOT_FOUND");
      expect(await store.tools.find("zeta")).toBeUndefined();
      expect(await thrownKind(() => store.tools.get("zeta"))).toBe("E_NOT_FOUND");
    });
  });

  s.describeGroup("domain-batch", "a batch applies every operation or none", [requires.domain], () => {
    s.clause("a batch commits all operations under one sequence number; one failing operation writes nothing", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      await store.sessions.create({ id: "s1" });
      const seq0 = await store.sequence();
      const results = await store.batch([
        { op: "state.set", pointer: "/a", value: 1 },
        { op: "state.increment", pointer: "/n", by: 2 },
        { op: "state.merge", doc: "other", patch: { m: true } },
        { op: "session.create", id: "s2", project: "p" },
        { op: "agent.spawn", sessionId: "s1", id: "ag1", role: "coder" },
        { op: "tools.register", tool: { name: "t1" } },
        { op: "config.set", project: "p", config: { name: "p" } },
        { op: "state.set", session: "s1", pointer: "/calls", value: 1 },
      ]);
      expect(results.length).toBe(8);
      expect(await store.sequence(), "one transaction").toBe(seq0 + 1);
      expect(await store.state().get()).toEqual({ a: 1, n: 2 });
      expect(await store.state("other").get()).toEqual({ m: true });
      expect((await store.sessions.get("s2")).project).toBe("p");
      expect((await store.agents.get("ag1")).sessionId).toBe("s1");
      expect((await store.tools.get("t1")).name).toBe("t1");
      expect(await store.sessionState("s1").get("/calls")).toBe(1);
      const seq1 = await store.sequence();
      const failures: Array<[string, Record<string, unknown>[], string]> = [
        [
          "a missing pointer",
          [
            { op: "state.set", pointer: "/b", value: 2 },
            { op: "session.create", id: "s3" },
            { op: "state.delete", pointer: "/missing" },
          ],
          "E_NOT_FOUND",
        ],
        [
          "a stale condition",
          [
            { op: "state.set", pointer: "/b", value: 2 },
            { op: "state.set", pointer: "/c", value: 3, ifRevision: 99 },
          ],
          "E_CONFLICT",
        ],
        [
          "a duplicate session",
          [
            { op: "tools.register", tool: { name: "t2" } },
            { op: "session.create", id: "s1" },
          ],
          "E_CONFLICT",
        ],
        [
          "an invalid config",
          [
            { op: "state.set", pointer: "/b", value: 2 },
            { op: "config.set", project: "q", config: { name: 5 } },
          ],
          "E_CONFIG",
        ],
        ["an unknown op", [{ op: "state.set", pointer: "/b", value: 2 }, { op: "state.frobnicate" }], "E_VALIDATION"],
        [
          "a non-JSON value",
          [
            { op: "state.set", pointer: "/b", value: 2 },
            { op: "state.set", pointer: "/c", value: Number.NaN },
          ],
          "E_VALIDATION",
        ],
      ];
      for (const [what, ops, code] of failures) {
        const err = await thrown(() => store.batch(ops));
        expect(errorKind(err), what).toBe(code);
        expect((err as { details?: { operation?: unknown } }).details?.operation, `${what}: the error names the failing operation`).toBe(
          ops.length - 1,
        );
      }
      expect(await store.sequence(), "no failed batch wrote anything").toBe(seq1);
      expect(await store.state().get()).toEqual({ a: 1, n: 2 });
      expect(await store.sessions.find("s3")).toBeUndefined();
      expect(await store.tools.find("t2")).toBeUndefined();
      const sets = await store.changes(seq0);
      expect(sets.length).toBe(1);
    });
  });
}
