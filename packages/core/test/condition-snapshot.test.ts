import { afterEach, describe, expect, it } from "vitest";
import { open, type Store } from "../src/domain/store.js";
import type { Condition } from "../src/domain/types.js";
import { codeOf } from "./helpers/error-code.js";

/**
 * Issue 15, "Options are validated when an operation is planned but read again when it commits":
 * a write's condition (ifRevision, ifAbsent, ifLease) is judged as it was when the write was
 * called. Every adapter commits at least a microtask later (the file adapter a turn of the event
 * loop later, and some operations read first), so each case changes the caller's object right
 * after the call: to a condition that would fail (the write must still succeed), or from one that
 * fails to one that would pass (the write must still be refused).
 */
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

type Write = (s: Store, condition: Condition) => Promise<unknown>;

/** Each conditional write, on a record at revision 1 (set up by `seed`). */
const WRITES: Array<{ name: string; seed: (s: Store) => Promise<unknown>; write: Write }> = [
  { name: "state.set", seed: (s) => s.state("d").set("/a", 1), write: (s, c) => s.state("d").set("/a", 2, c) },
  { name: "state.merge", seed: (s) => s.state("d").set("/a", 1), write: (s, c) => s.state("d").merge({ b: 1 }, c) },
  {
    name: "state.patch",
    seed: (s) => s.state("d").set("/a", 1),
    write: (s, c) => s.state("d").patch([{ op: "add", path: "/b", value: 1 }], c),
  },
  { name: "state.increment", seed: (s) => s.state("d").set("/a", 1), write: (s, c) => s.state("d").increment("/a", 1, c) },
  { name: "state.delete", seed: (s) => s.state("d").set("/a", 1), write: (s, c) => s.state("d").delete("/a", c) },
  { name: "state.replace", seed: (s) => s.state("d").set("/a", 1), write: (s, c) => s.state("d").replace({ z: 1 }, c) },
  { name: "state.remove", seed: (s) => s.state("d").set("/a", 1), write: (s, c) => s.state("d").remove(c) },
  { name: "session.update", seed: (s) => s.sessions.create({ id: "s1" }), write: (s, c) => s.sessions.update("s1", { name: "n" }, c) },
  { name: "session.end", seed: (s) => s.sessions.create({ id: "s1" }), write: (s, c) => s.sessions.end("s1", "completed", c) },
  { name: "session.delete", seed: (s) => s.sessions.create({ id: "s1" }), write: (s, c) => s.sessions.delete("s1", c) },
  {
    name: "agent.update",
    seed: async (s) => {
      await s.sessions.create({ id: "s1" });
      await s.agents.spawn("s1", { id: "a1", role: "w" });
    },
    write: (s, c) => s.agents.update("a1", { status: "running" }, c),
  },
  {
    name: "agent.heartbeat",
    seed: async (s) => {
      await s.sessions.create({ id: "s1" });
      await s.agents.spawn("s1", { id: "a1", role: "w" });
    },
    write: (s, c) => s.agents.heartbeat("a1", c),
  },
  { name: "config.set", seed: (s) => s.config.set("p", {}), write: (s, c) => s.config.set("p", { maxConcurrentAgents: 2 }, c) },
  { name: "config.delete", seed: (s) => s.config.set("p", {}), write: (s, c) => s.config.delete("p", c) },
  {
    name: "tools.register",
    seed: (s) => s.tools.register({ name: "t" }),
    write: (s, c) => s.tools.register({ name: "t", description: "d" }, c),
  },
  { name: "tools.unregister", seed: (s) => s.tools.register({ name: "t" }), write: (s, c) => s.tools.unregister("t", c) },
];

describe("a write's condition is copied when the write is called", () => {
  for (const w of WRITES) {
    it(`${w.name}: ifRevision changed after the call is not what the commit judges`, async () => {
      store = await open("memory:");
      await w.seed(store);
      const passing: Condition = { ifRevision: 1 };
      const writing = w.write(store, passing);
      passing.ifRevision = 99;
      expect(await codeOf(writing), "the condition as called (revision 1) holds").toBe("no error");

      await store.close();
      store = await open("memory:");
      await w.seed(store);
      const failing: Condition = { ifRevision: 99 };
      const refused = w.write(store, failing);
      failing.ifRevision = 1;
      expect(await codeOf(refused), "the condition as called (revision 99) fails").toBe("E_CONFLICT");
    });
  }

  it("ifAbsent set after the call does not refuse a write called without it", async () => {
    store = await open("memory:");
    await store.state("d").set("/a", 1);
    const condition: Condition = {};
    const writing = store.state("d").set("/a", 2, condition);
    condition.ifAbsent = true;
    expect(await codeOf(writing)).toBe("no error");
  });

  it("ifLease: a token changed (or the fence replaced) after the call is not what the commit judges", async () => {
    store = await open("memory:");
    const lease = await store.leases.acquire("L", { ttlMs: 60_000, holder: "me" });
    await store.state("d").set("/a", 1);
    const fence = { name: "L", token: lease.token };
    const condition: Condition = { ifLease: fence };
    const writing = store.state("d").set("/a", 2, condition);
    fence.token = lease.token + 5;
    condition.ifLease = { name: "L", token: lease.token + 7 };
    expect(await codeOf(writing)).toBe("no error");

    const stale = { name: "L", token: lease.token + 5 };
    const refusedCondition: Condition = { ifLease: stale };
    const refused = store.state("d").set("/a", 3, refusedCondition);
    stale.token = lease.token;
    expect(await codeOf(refused)).toBe("E_CONFLICT");
  });

  it("state.update: the ifLease option changed after the call is not what later attempts judge", async () => {
    store = await open("memory:");
    const lease = await store.leases.acquire("L", { ttlMs: 60_000, holder: "me" });
    await store.state("d").set("/n", 0);
    const options = { ifLease: { name: "L", token: lease.token } };
    const updating = store.state("d").update(async (v) => {
      await new Promise((r) => setTimeout(r, 5));
      return { n: ((v as { n: number }).n ?? 0) + 1 };
    }, options);
    options.ifLease = { name: "L", token: lease.token + 9 };
    expect(await codeOf(updating)).toBe("no error");
  });

  const batchTitle =
    "batch: a later operation's fields, condition and fence changed after the call (while an earlier one is planned) are not used";
  it(batchTitle, async () => {
    store = await open("memory:");
    const lease = await store.leases.acquire("L", { ttlMs: 60_000, holder: "me" });
    await store.state("d").set("/a", 1);
    // config.set is planned after a read of the config schema: the state.set after it is planned a few turns later.
    const ops = [
      { op: "config.set", project: "p", config: {} },
      { op: "state.set", doc: "d", pointer: "/a", value: 2, ifRevision: 1, ifLease: { name: "L", token: lease.token } },
    ] as const;
    const mutable = ops as unknown as Array<Record<string, any>>;
    const running = store.batch(ops as never);
    mutable[1]!.ifRevision = 99;
    mutable[1]!.ifLease.token = lease.token + 3;
    mutable[1]!.pointer = "/b";
    expect(await codeOf(running)).toBe("no error");
    expect(await store.state("d").get("")).toEqual({ a: 2 });
  });
});
