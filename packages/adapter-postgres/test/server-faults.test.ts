import { openAdapter } from "@statehouse/adapter-postgres";
import { type TestServer, startTestServer } from "@statehouse/adapter-postgres/testing";
import type { StorageAdapter } from "@statehouse/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminQuery, pgTarget, skipReason } from "./helpers.js";
import { killChildren, runChild, sleep } from "./process.js";

// These tests stop, crash and restart a server, so they start their own rather than share the
// global one with the other test files.
const reason =
  skipReason() ?? (pgTarget().ownServer ? undefined : "STATEHOUSE_PG_URL names an external server, which these tests must not stop");

async function expectUnavailableWithin(op: () => Promise<unknown>, ms: number): Promise<void> {
  const t0 = Date.now();
  await expect(op()).rejects.toMatchObject({ code: "E_UNAVAILABLE", name: "UnavailableError" });
  expect(Date.now() - t0).toBeLessThan(ms);
}

describe.skipIf(reason !== undefined)("server faults", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server?.stop());
  afterEach(killChildren);

  it("server stopped: every operation fails with E_UNAVAILABLE within the lock timeout, and works again when it returns", async () => {
    const url = server.url("postgres", { schema: "down" });
    const a = await openAdapter(url, { lockTimeoutMs: 2000 });
    try {
      await a.transact((tx) => tx.put("c", "x", { n: 1 }));
      server.stopServer();
      // The lock timeout bounds the reconnecting; the slack is for a loaded machine.
      const bound = 2000 + 3000;
      await expectUnavailableWithin(() => a.get("c", "x"), bound);
      await expectUnavailableWithin(() => a.transact((tx) => tx.put("c", "x", { n: 2 })), bound);
      await expectUnavailableWithin(() => a.list("c"), bound);
      await expectUnavailableWithin(() => a.changes(0), bound);
      await expectUnavailableWithin(() => a.sequence(), bound);
      await expectUnavailableWithin(() => openAdapter(url, { lockTimeoutMs: 2000 }), bound);
      server.startServer();
      await a.transact((tx) => {
        const c = tx.get("c", "x")!;
        tx.put("c", "x", { n: (c.value as { n: number }).n + 1 });
      });
      expect((await a.get("c", "x"))?.value).toEqual({ n: 2 });
      expect(await a.sequence()).toBe(2);
    } finally {
      await a.close();
    }
  });

  it("10 rounds of a server crash (pg_ctl stop -m immediate) and restart under 3 writing clients: every acknowledged write present, each applied once, sequence gapless, clients reconnect", async () => {
    const url = server.url("postgres", { schema: "restarts" });
    // A lock timeout longer than a crash recovery on a loaded machine: clients must ride it out.
    const writers = await Promise.all([0, 1, 2].map(() => openAdapter(url, { lockTimeoutMs: 60_000 })));
    const acked = new Map<string, number>();
    const failures: string[] = [];
    let stop = false;
    try {
      let round = 0;
      const lastAckRound = [-1, -1, -1];
      const loops = writers.map(async (w: StorageAdapter, k) => {
        for (let i = 0; !stop; i++) {
          const id = `w${k}-${i}`;
          try {
            await w.transact((tx) => {
              if (tx.get("acks", id) !== undefined) throw new Error(`${id} exists before its write`);
              tx.put("acks", id, { i });
              const c = tx.get("meta", "total");
              tx.put("meta", "total", { n: ((c?.value as { n: number } | undefined)?.n ?? 0) + 1 });
            });
            acked.set(id, i);
            lastAckRound[k] = round;
          } catch (err) {
            failures.push(`${(err as { code?: string }).code ?? "RAW"}: ${(err as Error).message.slice(0, 200)}`);
          }
        }
      });
      const downtimes: number[] = [];
      for (round = 1; round <= 10; round++) {
        await sleep(300 + Math.random() * 500);
        const t0 = Date.now();
        server.crash();
        await sleep(100 + Math.random() * 200);
        server.startServer();
        downtimes.push(Date.now() - t0);
      }
      // Every client commits again after the last restart.
      const deadline = Date.now() + 30_000;
      while (lastAckRound.some((r) => r < 11) && Date.now() < deadline) await sleep(100);
      stop = true;
      await Promise.all(loops);
      expect(lastAckRound).toEqual([11, 11, 11]);
      // Within the lock timeout every commit reconnects: none may fail, not even as E_UNAVAILABLE.
      expect(failures).toEqual([]);
      const reader = await openAdapter(url);
      try {
        const all = await reader.list("acks", { limit: 10_000 });
        const present = new Map(all.records.map((r) => [r.id, r]));
        for (const [id, i] of acked) {
          expect(present.get(id)?.value, id).toEqual({ i });
          // Applied once: a commit retried after a lost connection did not write again.
          expect(present.get(id)?.revision, id).toBe(1);
        }
        const total = (await reader.get("meta", "total"))!.value as { n: number };
        expect(total.n).toBe(present.size);
        const seq = await reader.sequence();
        expect(seq).toBe(present.size);
        const sequences = (await reader.changes(0, Number.POSITIVE_INFINITY)).map((c) => c.sequence);
        expect(sequences).toEqual(Array.from({ length: seq }, (_, n) => n + 1));
        console.log(
          `[postgres restarts] 10 rounds (down ${downtimes.join(", ")} ms): ${acked.size} acknowledged, ${present.size} committed, ${seq} change sets, 0 failures`,
        );
      } finally {
        await reader.close();
      }
    } finally {
      stop = true;
      await Promise.all(writers.map((w) => w.close()));
    }
  }, 300_000);

  it("kill -9 of clients mid-commit: no connection or lock left behind, no pair half-written", async () => {
    const url = server.url("postgres", { schema: "killed", application_name: "killed-clients" });
    const acked = new Map<string, number>();
    for (let round = 0; round < 5; round++) {
      let ready = 0;
      const children = [0, 1, 2].map((k) => {
        const name = `r${round}c${k}`;
        return runChild("pair-writer.mjs", [url, name], {
          timeoutMs: 60_000,
          onLine: (line) => {
            if (line === "ready") ready++;
            if (line.startsWith("ack ")) acked.set(name, Number(line.slice(4)));
          },
        });
      });
      // Killed while writing, not while starting: wait until each has its pool open.
      for (let t = 0; t < 600 && ready < 3; t++) await sleep(50);
      expect(ready).toBe(3);
      await sleep(300 + Math.random() * 700);
      for (const c of children) c.child.kill("SIGKILL");
      await Promise.all(children.map((c) => c.done));
    }
    // The server notices the closed sockets: every backend of the killed clients goes away.
    const admin = server.url("postgres");
    let left = -1;
    for (let t = 0; t < 50 && left !== 0; t++) {
      const r = await adminQuery("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'killed-clients'", admin);
      left = Number(r.rows[0].n);
      if (left !== 0) await sleep(100);
    }
    expect(left).toBe(0);
    const a = await openAdapter(url, { lockTimeoutMs: 2000 });
    try {
      // No lock left: a commit goes through at once.
      const t0 = Date.now();
      await a.transact((tx) => tx.put("meta", "probe", { ok: true }));
      expect(Date.now() - t0).toBeLessThan(2000);
      const pairs = new Map<string, { a?: number; b?: number }>();
      for (let page = await a.list("pairs", { limit: 1000 }); ; page = await a.list("pairs", { limit: 1000, after: page.cursor })) {
        for (const r of page.records) {
          const m = /^(.*)-(a|b)$/.exec(r.id)!;
          const entry = pairs.get(m[1]!) ?? {};
          entry[m[2] as "a" | "b"] = (r.value as { i: number }).i;
          pairs.set(m[1]!, entry);
        }
        if (page.cursor === undefined) break;
      }
      for (const [key, p] of pairs) expect(p.a, key).toBe(p.b);
      for (const [name, i] of acked) for (let j = 0; j <= i; j++) expect(pairs.has(`${name}-${j}`), `${name}-${j}`).toBe(true);
      const count = (await a.get("meta", "count"))!.value as { n: number };
      expect(count.n).toBe(pairs.size);
      expect(acked.size).toBeGreaterThan(0);
    } finally {
      await a.close();
    }
  }, 180_000);
});

if (reason !== undefined) {
  describe("server faults", () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
}
