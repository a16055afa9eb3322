import { type Store, type StorageAdapter, isStatehouseError, open } from "@statehouse/core";
import { GroupCommitter, MemoryAdapter } from "@statehouse/core/spi";
import { afterEach, describe, expect, it } from "vitest";
import { codeOf } from "./helpers/error-code.js";

/**
 * Group commit in one process (issue 11): the Store's `groupCommit` option over the memory adapter.
 * Physical commits are counted by wrapping the adapter's `transact` and `transactGroup` before the
 * first write: the committer calls them through the adapter object, so every commit passes the
 * wrappers. The domain rules that live inside a write's transaction (idempotency, lease fences,
 * maxConcurrentAgents, batches) are checked with their writes grouped.
 */

interface Counted {
  store: Store;
  commits: () => number;
  groups: number[];
}

async function counted(options: Parameters<typeof open>[1] = { groupCommit: true }): Promise<Counted> {
  const store = await open("memory:", options);
  const adapter = store.adapter as StorageAdapter & Required<Pick<StorageAdapter, "transactGroup">>;
  let singles = 0;
  const groups: number[] = [];
  const transact = adapter.transact.bind(adapter);
  const transactGroup = adapter.transactGroup.bind(adapter);
  adapter.transact = (fn) => {
    singles++;
    return transact(fn);
  };
  adapter.transactGroup = (fns, o) => {
    groups.push(fns.length);
    return transactGroup(fns, o);
  };
  return { store, commits: () => singles + groups.length, groups };
}

let opened: Store | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

describe("Store groupCommit", () => {
  it("200 concurrent increments: exact, revisions 1..200 each once, far fewer than 200 physical commits", async () => {
    const c = await counted();
    opened = c.store;
    const doc = c.store.state("counter");
    const results = await Promise.all(Array.from({ length: 200 }, () => doc.increment("/n")));
    expect(await doc.at("/n")).toBe(200);
    expect(results.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.sequence)).size, "a sequence per increment").toBe(200);
    expect(c.commits(), `physical commits (group sizes ${c.groups.join(", ")})`).toBeLessThanOrEqual(2);
    const sets = await c.store.changes(0);
    expect(sets.map((s) => s.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("calls arriving while a commit is in flight join the next group; each gets its own result", async () => {
    const c = await counted({ groupCommit: { maxMembers: 16 } });
    opened = c.store;
    const doc = c.store.state("waves");
    const pending: Promise<{ value: number }>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 10; i++) pending.push(doc.increment("/n"));
      await new Promise((r) => setImmediate(r));
    }
    const values = (await Promise.all(pending)).map((r) => r.value).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(Math.max(...c.groups), "maxMembers bounds a group").toBeLessThanOrEqual(16);
    expect(c.commits()).toBeLessThan(200);
  });

  it("without groupCommit, every write is its own transact (the library default)", async () => {
    const c = await counted({});
    opened = c.store;
    await Promise.all(Array.from({ length: 20 }, () => c.store.state("d").increment("/n")));
    expect(c.groups).toEqual([]);
    expect(c.commits()).toBe(20);
  });

  it("idempotency keys: 30 grouped retries of one keyed write apply it once and all return its result", async () => {
    const c = await counted();
    opened = c.store;
    const doc = c.store.state("idem");
    const results = await Promise.all(Array.from({ length: 30 }, () => doc.increment("/n", 5, { idempotencyKey: "k1" })));
    expect(await doc.at("/n")).toBe(5);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set([5]));
    expect(results.filter((r) => r.sequence !== undefined).length, "one of them committed").toBe(1);
    const other = await codeOf(doc.increment("/n", 6, { idempotencyKey: "k1" }));
    expect(other, "the same key with another request").toBe("E_CONFLICT");
    expect(c.groups.length).toBeGreaterThan(0);
  });

  it("lease fences: a write fenced by a token released earlier in the same group is refused, the others apply", async () => {
    const c = await counted();
    opened = c.store;
    const lease = await c.store.leases.acquire("L", { ttlMs: 60_000, holder: "me" });
    const fence = { ifLease: { name: "L", token: lease.token } };
    const doc = c.store.state("fenced");
    // Started in this order in one turn: they form one group, run in this order.
    const before = doc.set("/a", 1, fence);
    const released = c.store.leases.release("L", { token: lease.token });
    const after = doc.set("/b", 1, fence);
    const unfenced = doc.set("/c", 1);
    expect((await before).revision).toBe(1);
    expect(await released).toBe(true);
    expect(await codeOf(after)).toBe("E_CONFLICT");
    expect((await unfenced).revision).toBe(2);
    expect(await doc.get()).toEqual({ a: 1, c: 1 });
    expect(c.groups).toContain(4);
  });

  it("maxConcurrentAgents holds when 20 spawns commit in one group", async () => {
    const c = await counted();
    opened = c.store;
    await c.store.config.set("p", { maxConcurrentAgents: 3 });
    await c.store.sessions.create({ id: "s", project: "p" });
    const spawns = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => c.store.agents.spawn("s", { id: `a${i}`, role: "w" })));
    const ok = spawns.filter((r) => r.status === "fulfilled");
    const refused = spawns.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(ok.length).toBe(3);
    expect(
      refused.every((e) => isStatehouseError(e)),
      "refusals are typed",
    ).toBe(true);
    expect((await c.store.agents.list({ limit: 100 })).items.length).toBe(3);
    expect((await c.store.sessions.get("s")).agentCount).toBe(3);
    expect(Math.max(...c.groups), "the spawns committed grouped").toBe(20);
  });

  it("batches in one group: a batch whose condition fails applies nothing, the others apply whole", async () => {
    const c = await counted();
    opened = c.store;
    await c.store.state("b").set("/x", 0);
    const batches = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        c.store.batch([
          { op: "state.increment", doc: "b", pointer: "/x" },
          { op: "state.set", doc: "b", pointer: `/k${i}`, value: i, ...(i === 4 && { ifRevision: 1 }) },
        ]),
      ),
    );
    expect(batches.map((b) => b.status)).toEqual(batches.map((_, i) => (i === 4 ? "rejected" : "fulfilled")));
    const doc = (await c.store.state("b").get()) as Record<string, number>;
    expect(doc.x, "nine increments, the failed batch's undone").toBe(9);
    expect(doc.k4).toBeUndefined();
    expect(Object.keys(doc).length).toBe(10);
    expect(c.groups).toContain(10);
  });
});

describe("GroupCommitter", () => {
  it("bounds that are not positive are refused with E_CONFIG when the store opens", async () => {
    for (const groupCommit of [
      { maxMembers: 0 },
      { maxMembers: 1.5 },
      { maxMembers: Number.NaN },
      { maxSerializedLength: 0 },
      { maxSerializedLength: Number.NaN },
    ]) {
      expect(await codeOf(open("memory:", { groupCommit })), JSON.stringify(groupCommit)).toBe("E_CONFIG");
    }
  });

  it("a failing physical commit fails every member with its typed error", async () => {
    const adapter = new MemoryAdapter();
    const committer = new GroupCommitter(adapter);
    const real = adapter.transactGroup.bind(adapter);
    let fail = true;
    adapter.transactGroup = (fns, o) => {
      if (fail) {
        fail = false;
        return adapter.close().then(() => real(fns, o));
      }
      return real(fns, o);
    };
    const calls = Array.from({ length: 5 }, (_, i) => committer.transact((tx) => tx.put("c", `r${i}`, i)));
    const codes = await Promise.all(calls.map((p) => codeOf(p)));
    expect(codes).toEqual(Array(5).fill("E_CLOSED"));
  });

  it("members past maxSerializedLength wait for the next group, in order", async () => {
    const adapter = new MemoryAdapter();
    const sizes: number[] = [];
    const real = adapter.transactGroup.bind(adapter);
    adapter.transactGroup = async (fns, o) => {
      const out = await real(fns, o);
      sizes.push(out.length);
      return out;
    };
    const committer = new GroupCommitter(adapter, { maxSerializedLength: 1000 });
    const big = "x".repeat(400);
    const seqs = await Promise.all(Array.from({ length: 9 }, (_, i) => committer.transact((tx) => tx.put("c", `r${i}`, big))));
    expect(seqs.map((s) => s.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes, "402 characters a member: three reach 1000").toEqual([3, 3, 3]);
  });
});
