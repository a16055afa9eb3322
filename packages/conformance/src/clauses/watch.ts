import type { AdapterOptions } from "@statehouse/core";
import { type CoordinationStore, type WatchEvent, lacksWatch } from "../coordination-api.js";
import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";
import { allChanges, sortedEntries } from "./changes.js";

async function openWatchable(scope: ClauseScope, extra: AdapterOptions = {}, dir?: string): Promise<CoordinationStore> {
  const store = (await scope.openStore(extra, dir)) as DomainStore;
  const missing = lacksWatch(store);
  if (missing !== undefined) throw new Error(missing);
  return store as CoordinationStore;
}

/** Collects events until `stop` says so (checked after each event) or `timeoutMs` passes. */
async function collect(
  store: CoordinationStore,
  options: Parameters<CoordinationStore["watch"]>[0],
  stop: (events: WatchEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<WatchEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: WatchEvent[] = [];
  try {
    for await (const ev of store.watch({ ...options, signal: controller.signal })) {
      events.push(ev);
      if (stop(events)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

function lastSequence(events: WatchEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i]!;
    if (ev.type === "changes") return ev.sequence;
  }
  return 0;
}

export function registerWatch(s: SuiteContext): void {
  s.describeGroup("watch", "store.watch(): committed change sets in order, each once, resumable, a typed reset", [requires.domain], () => {
    s.clause("from since=0: every change set in order, entries as changes() reports them; then live ones as they commit", async (scope) => {
      const { expect } = scope;
      const store = await openWatchable(scope);
      await store.state("a").set("/x", 1);
      const session = await store.sessions.create({ id: "s1" });
      await store.sessionState(session.id).set("/n", 1);
      await store.tools.register({ name: "grep" });
      // Two live writes once the iteration has started: they must arrive without another call.
      let live: Promise<unknown> = Promise.resolve();
      const timer = setTimeout(() => {
        live = store
          .state("a")
          .set("/x", 2)
          .then(() => store.state("b").set("/y", 1));
      }, 50);
      const events = await collect(store, { since: 0 }, (evs) => lastSequence(evs) >= 6);
      clearTimeout(timer);
      await live;
      // The store's own change log: the adapter's in process, the daemon's `/v1/changes` remotely.
      const sets = await allChanges(store, 0);
      expect(events.map((e) => e.type)).not.toContain("reset");
      const got = events.map((e) => (e.type === "changes" ? { sequence: e.sequence, at: e.at, changes: sortedEntries(e.changes) } : e));
      expect(got, "watch delivers exactly what changes() holds").toEqual(
        sets.map((c) => ({ sequence: c.sequence, at: c.at, changes: sortedEntries(c.changes) })),
      );
      expect(got.map((e) => (e as { sequence: number }).sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    s.clause(
      "without since: only what commits after the iteration starts; resumable from any sequence, no gap, no duplicate",
      async (scope) => {
        const { expect } = scope;
        const store = await openWatchable(scope);
        for (let i = 0; i < 5; i++) await store.state("pre").set("/i", i);
        const controller = new AbortController();
        const it = store.watch({ signal: controller.signal, pollMs: 5 })[Symbol.asyncIterator]();
        const first = it.next();
        // The iteration starts at the first next(); give it time to read the sequence before writing.
        await new Promise((r) => setTimeout(r, 100));
        await store.state("live").set("/v", 1);
        const ev = (await first).value as WatchEvent;
        expect(ev.type).toBe("changes");
        expect((ev as { sequence: number }).sequence, "the first live change set, not the 5 before").toBe(6);
        controller.abort();
        expect((await it.next()).done, "an aborted watch ends cleanly").toBe(true);
        for (let i = 0; i < 4; i++) await store.state("more").set("/i", i);
        // Resume after 6 as a consumer that stored its position would.
        const resumed = await collect(store, { since: 6 }, (evs) => lastSequence(evs) >= 10);
        expect(resumed.map((e) => (e.type === "changes" ? e.sequence : `reset ${e.since}`))).toEqual([7, 8, 9, 10]);
      },
    );

    s.clause("filters: collections, and a session (its record, its state document, its agents)", async (scope) => {
      const { expect } = scope;
      const store = await openWatchable(scope);
      const mine = await store.sessions.create({ id: "mine" });
      const before = await store.agents.spawn(mine.id, { role: "early" });
      await store.sessions.create({ id: "other" });
      const since = await store.sequence();
      const other = await store.agents.spawn("other", { role: "x" });
      await store.sessionState("other").set("/a", 1);
      await store.state("global").set("/g", 1);
      const late = await store.agents.spawn(mine.id, { role: "late" });
      await store.sessionState(mine.id).set("/a", 1);
      await store.agents.heartbeat(before.id);
      await store.agents.heartbeat(other.id);
      await store.state("global").set("/g", 2);
      const end = await store.sequence();
      const bySession = await collect(store, { since, session: mine.id }, (evs) => lastSequence(evs) >= end - 2);
      const described = bySession.map((e) =>
        e.type === "changes" ? sortedEntries(e.changes).map((c) => `${c.collection}/${c.id}`) : [`reset ${e.since}`],
      );
      expect(described).toEqual([[`agents/${late.id}`, "sessions/mine"], ["session-state/mine"], [`agents/${before.id}`]]);
      const state = await collect(store, { since, collections: ["state"] }, (evs) => lastSequence(evs) >= end);
      expect(state.map((e) => (e.type === "changes" ? sortedEntries(e.changes).map((c) => `${c.collection}/${c.id}`) : e))).toEqual([
        ["state/global"],
        ["state/global"],
      ]);
      expect(await thrownKind(() => store.watch({ since: -1 })), "a negative since").toBe("E_VALIDATION");
      expect(await thrownKind(() => store.watch({ session: "../x" })), "a bad session id").toBe("E_INVALID_PATH");
    });

    s.clause(
      "since older than the retained change log: a typed reset naming the oldest retained, then every later set in order",
      async (scope) => {
        const { expect } = scope;
        // changeRetention is the option every bundled adapter takes; an adapter that ignores it keeps more.
        const store = await openWatchable(scope, { changeRetention: 10 } as AdapterOptions);
        let oldest = 1;
        // Remotely there is no adapter to compact: the daemon's store trims as its adapter does on commit.
        const adapter = (store as Partial<CoordinationStore>).adapter;
        for (let i = 0; i < 400 && oldest === 1; i++) {
          await store.state("r").set("/i", i);
          if (i % 20 === 19) {
            if (typeof adapter?.compact === "function") await adapter.compact();
            oldest = (await store.changes(0, 1))[0]?.sequence ?? 1;
          }
        }
        const head = await store.sequence();
        const events = await collect(store, { since: 0 }, (evs) => lastSequence(evs) >= head);
        if (oldest === 1) {
          console.log(`[statehouse conformance: ${s.options.name}] watch reset: the change log was never trimmed in ${head} commits`);
          expect(events.some((e) => e.type === "reset")).toBe(false);
          return;
        }
        const first = events[0]!;
        expect(first.type, "the first event").toBe("reset");
        const reset = first as Extract<WatchEvent, { type: "reset" }>;
        expect(reset.since).toBe(0);
        expect(reset.oldest, "the oldest retained change set").toBeGreaterThanOrEqual(oldest);
        const rest = events.slice(1).map((e) => (e.type === "changes" ? e.sequence : -1));
        expect(rest).toEqual(Array.from({ length: head - reset.oldest + 1 }, (_, i) => reset.oldest + i));
      },
    );
  });

  const writers = 5;
  const watchers = 2;
  const writes = s.options.sizes === "full" ? 400 : 40;
  s.describeGroup(
    "watch-multi-process",
    "watchers in other processes see every change set once, in order",
    [requires.domain, requires.multiProcess],
    () => {
      s.clause(
        `${writers} writer processes × ${writes} writes, ${watchers} watcher processes: each sees 1..N exactly once, in order`,
        async (scope) => {
          const { expect } = scope;
          const store = await openWatchable(scope);
          const retention = (await scope.suite.capabilities()).caps.changeRetention;
          expect(writers * writes, "the run fits the change log's retention").toBeLessThanOrEqual(retention);
          const watching = Array.from({ length: watchers }, () => scope.spawn("watcher", { since: 0 }));
          const writing = Array.from({ length: writers }, (_, writer) => scope.spawn("watch-writer", { writer, writes }));
          await Promise.all([...watching, ...writing].map((c) => c.next("ready", 120_000)));
          for (const w of writing) w.send({ cmd: "go" });
          const results = await Promise.all(writing.map((c) => c.result()));
          expect(
            results.flatMap((r) => r.errors as string[]),
            "writer errors",
          ).toEqual([]);
          const total = results.reduce((n, r) => n + (r.acked as number), 0);
          expect(total).toBe(writers * writes);
          const head = await store.sequence();
          expect(head, "one change set per write").toBe(total);
          for (const w of watching) w.send({ cmd: "until", sequence: head });
          const seen = await Promise.all(watching.map((c) => c.result()));
          const sets = await allChanges(store, 0);
          const expected = sets.map((c) =>
            JSON.stringify(
              sortedEntries(c.changes)
                .map((e) => `${e.type} ${e.collection} ${e.id} ${e.revision}`)
                .sort(),
            ),
          );
          for (const [i, r] of seen.entries()) {
            expect(r.resets, `watcher ${i}: resets`).toEqual([]);
            expect(r.seen, `watcher ${i}: sequences in delivery order`).toEqual(Array.from({ length: head }, (_, k) => k + 1));
            expect(r.entries, `watcher ${i}: entries of each change set`).toEqual(expected);
          }
        },
      );
    },
  );
}
