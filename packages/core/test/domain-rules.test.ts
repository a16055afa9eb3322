import { afterEach, describe, expect, it } from "vitest";
import { open, type Store } from "../src/domain/store.js";
import type { SessionCreateOptions } from "../src/domain/types.js";
import { codeOf } from "./helpers/error-code.js";

/**
 * Issue 15, "rules checked once, where the plan is made": a batch's session delete guards its
 * agent listing like Sessions.delete, options are copied when validated, and paging options are
 * validated on every path.
 */
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** Agents whose session does not exist. */
async function orphans(s: Store): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.agents.list({ limit: 500, ...(cursor !== undefined && { cursor }) });
    for (const a of page.items) if ((await s.sessions.find(a.sessionId)) === undefined) out.push(a.id);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

describe("batch session delete", () => {
  it("[agent.spawn into S, session.delete S] leaves no agent pointing at the deleted session", async () => {
    store = await open("memory:");
    await store.sessions.create({ id: "s1" });
    await store.agents.spawn("s1", { id: "a0", role: "worker" });
    await store.batch([
      { op: "agent.spawn", sessionId: "s1", id: "a1", role: "worker" },
      { op: "session.delete", id: "s1" },
    ]);
    expect(await store.sessions.find("s1")).toBeUndefined();
    expect(await store.agents.find("a0")).toBeUndefined();
    expect(await store.agents.find("a1")).toBeUndefined();
    expect(await orphans(store)).toEqual([]);
  });

  it("a spawn interleaved between the batch's listing and its commit is deleted or refused, never orphaned", async () => {
    store = await open("memory:");
    const s = store;
    for (let round = 0; round < 60; round++) {
      const id = `s${round}`;
      await s.sessions.create({ id });
      await s.agents.spawn(id, { id: `${id}-a`, role: "worker" });
      const deleting = s.batch([{ op: "session.delete", id }]);
      // Let the batch get part of the way through its planning (listing), then spawn.
      for (let i = 0; i < round % 12; i++) await Promise.resolve();
      const spawning = s.agents.spawn(id, { id: `${id}-b`, role: "worker" });
      await deleting;
      const spawned = await codeOf(spawning);
      expect(["no error", "E_NOT_FOUND"]).toContain(spawned);
    }
    expect(await orphans(s)).toEqual([]);
  });

  it("the caller's own conditions still fail the batch with E_CONFLICT (no retry)", async () => {
    store = await open("memory:");
    await store.sessions.create({ id: "s1" });
    expect(await codeOf(store.batch([{ op: "session.delete", id: "s1", ifRevision: 99 }]))).toBe("E_CONFLICT");
    expect(await store.sessions.find("s1")).toBeDefined();
  });
});

describe("options are copied when validated", () => {
  it("changing the options object right after the call does not change what is stored", async () => {
    store = await open("memory:");
    const options: SessionCreateOptions = { id: "s1", project: "p1", name: "first" };
    const creating = store.sessions.create(options);
    options.project = "p1\u0000other";
    options.name = "x".repeat(10_000);
    const created = await creating;
    expect(created.project).toBe("p1");
    expect((await store.sessions.get("s1")).project).toBe("p1");

    const changes: { status?: string; project?: string } = { status: "completed" };
    const updating = store.sessions.update("s1", changes as never);
    changes.status = "bogus\u0000";
    changes.project = "../x";
    const updated = await updating;
    expect(updated.status).toBe("completed");
    expect(updated.project).toBe("p1");

    await store.sessions.create({ id: "s3" });
    const spawn: { id: string; role: string; status?: string } = { id: "a1", role: "worker" };
    const spawning = store.agents.spawn("s3", spawn as never);
    spawn.role = "";
    spawn.status = "not-a-status";
    const agent = await spawning;
    expect(agent.role).toBe("worker");
    expect(agent.status).toBe("spawning");

    const agentChanges: { status?: string } = { status: "running" };
    const updatingAgent = store.agents.update("a1", agentChanges as never);
    agentChanges.status = "nope";
    expect((await updatingAgent).status).toBe("running");
  });

  it("a getter that answers differently on its second read cannot smuggle a value past validation", async () => {
    store = await open("memory:");
    let reads = 0;
    const options = {
      id: "s2",
      get project() {
        reads++;
        return reads === 1 ? "ok" : "bad\u0000project";
      },
    };
    const created = await store.sessions.create(options as SessionCreateOptions);
    expect(created.project).toBe("ok");
  });
});

describe("paging options are validated on every path", () => {
  it("sessions.list with project and status refuses limit 0, -1 and 2.5", async () => {
    store = await open("memory:");
    for (let i = 0; i < 5; i++) await store.sessions.create({ id: `s${i}`, project: "p" });
    for (const limit of [0, -1, 2.5, Number.NaN, 1e9]) {
      expect(await codeOf(store.sessions.list({ project: "p", status: "active", limit })), String(limit)).toBe("E_VALIDATION");
      expect(await codeOf(store.sessions.list({ project: "p", limit })), String(limit)).toBe("E_VALIDATION");
      expect(await codeOf(store.sessions.list({ status: "active", limit })), String(limit)).toBe("E_VALIDATION");
      expect(await codeOf(store.agents.list({ limit })), String(limit)).toBe("E_VALIDATION");
    }
    expect((await store.sessions.list({ project: "p", status: "active", limit: 2 })).items).toHaveLength(2);
  });
});
