import type { ChangeSet } from "@statehouse/core";
import { type RetentionStore, lacksGc } from "../child/retention-roles.js";
import type { CoordinationStore, WatchEvent } from "../coordination-api.js";
import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { ClauseScope, SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";
import { allChanges } from "./changes.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openGc(scope: ClauseScope, extra: Record<string, unknown> = {}): Promise<RetentionStore> {
  const store = await scope.openStore(extra);
  const missing = lacksGc(store);
  if (missing !== undefined) throw new Error(missing);
  return store as RetentionStore;
}

/** Every session id in the store, by status. */
async function sessionsByStatus(store: DomainStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await store.sessions.list({ limit: 500, ...(cursor !== undefined && { cursor }) });
    for (const s of page.items) out.set(s.id, s.status);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** A session with its state document and `agents` agents, ended with `status` when given. */
async function makeSession(store: DomainStore, id: string, agents: number, status?: string, state = true): Promise<void> {
  await store.sessions.create({ id });
  if (state) await store.sessionState(id).set("/v", id);
  for (let i = 0; i < agents; i++) await store.agents.spawn(id, { id: `${id}-a${i}`, role: "worker" });
  if (status !== undefined) await store.sessions.end(id, status);
}

export function registerRetention(s: SuiteContext): void {
  s.describeGroup(
    "retention",
    "store.gc(): ended and old sessions, expired keys and the change log trimmed; nothing active removed",
    [requires.domain],
    () => {
      s.clause(
        "gc removes exactly the sessions ended before the cutoff, with their state documents and agents; active and recently ended ones stay; dry-run changes nothing",
        async (scope) => {
          const { expect } = scope;
          const store = await openGc(scope);
          await makeSession(store, "live", 2);
          await makeSession(store, "old-done", 1, "completed");
          await makeSession(store, "old-failed", 0, "failed");
          await makeSession(store, "old-cancelled", 3, "cancelled", false);
          await store.state("global").set("/keep", true);
          // A second revision of an old session's document: its history keeps the first.
          await store.sessionState("old-done").set("/w", 1);
          // Ended strictly later than the old ones (commit times are milliseconds).
          await pause(15);
          await makeSession(store, "recent", 1, "completed");
          const cutoff = (await store.sessions.get("recent")).endedAt!;
          expect((await store.sessions.get("old-cancelled")).endedAt! < cutoff, "the old sessions ended before the cutoff").toBe(true);

          const before = await store.sequence();
          const dry = await store.gc({ endedBefore: cutoff, dryRun: true, usePolicy: false });
          const expected = { sessions: 3, stateDocuments: 2, agents: 4, idempotencyRecords: 0, changeSets: 0 };
          expect(dry).toEqual({ ...expected, dryRun: true });
          expect(await store.sequence(), "a dry run commits nothing").toBe(before);
          expect([...(await sessionsByStatus(store)).keys()].sort()).toEqual(["live", "old-cancelled", "old-done", "old-failed", "recent"]);

          const report = await store.gc({ endedBefore: cutoff, usePolicy: false });
          expect(report).toEqual({ ...expected, dryRun: false });
          expect([...(await sessionsByStatus(store)).keys()].sort()).toEqual(["live", "recent"]);
          for (const id of ["old-done", "old-failed", "old-cancelled"]) {
            expect(await store.sessions.find(id), id).toBeUndefined();
            expect((await store.sessionState(id).read()).value, `${id}'s state document`).toBeUndefined();
          }
          for (const a of ["old-done-a0", "old-cancelled-a0", "old-cancelled-a2"]) expect(await store.agents.find(a), a).toBeUndefined();
          // Their documents' kept revisions went with them; the live session's stay.
          const historyIds = async () => {
            const ids: string[] = [];
            for (const c of ["history", "history-meta"])
              ids.push(...(await store.adapter.list(c, { limit: 1000 })).records.map((r) => r.id));
            return ids;
          };
          expect((await historyIds()).filter((id) => id.includes("old-"))).toEqual([]);
          expect(await store.sessionState("live").get("/v")).toBe("live");
          expect((await store.agents.list({ sessionId: "live" })).items.map((a) => a.id).sort()).toEqual(["live-a0", "live-a1"]);
          expect(await store.sessionState("recent").get("/v")).toBe("recent");
          expect(await store.agents.find("recent-a0")).toBeDefined();
          expect(await store.state("global").get("/keep")).toBe(true);

          const again = await store.gc({ endedBefore: cutoff, usePolicy: false });
          expect(again, "a second run finds nothing").toEqual({
            sessions: 0,
            stateDocuments: 0,
            agents: 0,
            idempotencyRecords: 0,
            changeSets: 0,
            dryRun: false,
          });
          // Age 0: everything ended goes, the active session never.
          const all = await store.gc({ endedOlderThanMs: 0, usePolicy: false, batchSize: 1 });
          expect(all.sessions).toBe(1);
          expect([...(await sessionsByStatus(store)).entries()]).toEqual([["live", "active"]]);
        },
      );

      s.clause(
        "the default project's retention section is the policy; without it gc removes no session; bad limits are typed errors",
        async (scope) => {
          const { expect } = scope;
          const store = await openGc(scope);
          await makeSession(store, "ended", 1, "completed");
          await makeSession(store, "live", 0);
          await pause(5);
          expect((await store.gc()).sessions, "no retention section: opt-in, nothing removed").toBe(0);
          expect(await store.sessions.find("ended")).toBeDefined();
          for (const bad of [
            { endedSessionsMaxAgeSeconds: -1 },
            { endedSessionsMaxAgeSeconds: "1d" },
            { changeLogMaxEntries: 0 },
            { changeLogMaxEntries: 2.5 },
            { changeLogMaxAgeDays: 0 },
            { scheduleSeconds: 0 },
            { unknownField: 1 },
          ]) {
            expect(await thrownKind(() => store.config.set("default", { retention: bad } as never)), JSON.stringify(bad)).toBe("E_CONFIG");
          }
          expect(await thrownKind(() => store.gc({ endedOlderThanMs: -1 })), "negative age").toBe("E_VALIDATION");
          expect(await thrownKind(() => store.gc({ endedOlderThanMs: Number.NaN })), "NaN age").toBe("E_VALIDATION");
          expect(await thrownKind(() => store.gc({ batchSize: 0 })), "batch 0").toBe("E_VALIDATION");
          expect(await thrownKind(() => store.gc({ endedBefore: "yesterday" })), "a bad time").toBe("E_VALIDATION");
          expect(await thrownKind(() => store.gc({ changeLogMaxEntries: 0 })), "keep no change set").toBe("E_VALIDATION");
          expect(await store.sessions.find("ended"), "refused runs removed nothing").toBeDefined();

          // A policy far longer than the session's age keeps it; age 0 removes it.
          await store.config.set("default", { retention: { endedSessionsMaxAgeSeconds: 86_400 } });
          expect((await store.gc()).sessions).toBe(0);
          await store.config.set("default", { retention: { endedSessionsMaxAgeSeconds: 0 } });
          expect((await store.gc({ dryRun: true })).sessions).toBe(1);
          const r = await store.gc();
          expect(r.sessions).toBe(1);
          expect(r.agents).toBe(1);
          expect(await store.sessions.find("ended")).toBeUndefined();
          expect(await store.sessions.find("live")).toBeDefined();
          // An explicit option overrides the policy.
          await makeSession(store, "ended2", 0, "cancelled");
          expect((await store.gc({ endedOlderThanMs: 86_400_000 })).sessions).toBe(0);
          expect(await store.sessions.find("ended2")).toBeDefined();
        },
      );

      s.clause("expired idempotency records are removed, live ones kept (their keys still replay)", async (scope) => {
        const { expect } = scope;
        const windowMs = 1_000;
        const store = await openGc(scope, { idempotencyWindowMs: windowMs } as never);
        const doc = store.state("keys");
        for (let i = 0; i < 5; i++) await doc.increment("/n", 1, { idempotencyKey: `old-${i}` } as never);
        await pause(windowMs + 100);
        const freshAt = Date.now();
        await doc.increment("/n", 1, { idempotencyKey: "fresh" } as never);
        const dry = await store.gc({ dryRun: true });
        const r = await store.gc({ batchSize: 2 });
        const replay = await doc.increment("/n", 1, { idempotencyKey: "fresh" } as never);
        if (Date.now() - freshAt >= windowMs) {
          // Too slow a machine to tell the fresh key from the old ones: only the old ones are certain.
          expect(r.idempotencyRecords).toBeGreaterThanOrEqual(5);
          return;
        }
        expect(dry.idempotencyRecords, "the dry run counts the expired ones").toBe(5);
        expect(r.idempotencyRecords, "exactly the expired ones").toBe(5);
        expect((await store.gc()).idempotencyRecords).toBe(0);
        expect(replay.value, "the live key still replays").toBe(6);
      });

      s.clause(
        "the change log is trimmed to changeLogMaxEntries (or by age) from its oldest end, never its latest; changes() and watchers then see the gap",
        async (scope) => {
          const { expect } = scope;
          const store = await openGc(scope);
          const writes = 300;
          for (let i = 0; i < writes; i++) await store.state("log").set("/i", i);
          const head = await store.sequence();
          const first = (await store.changes(0, 1))[0]!.sequence;
          const dry = await store.gc({ changeLogMaxEntries: 10, dryRun: true, usePolicy: false });
          expect(dry.changeSets, "a dry run counts what the limit cuts").toBe(head - 10 - first + 1);
          expect((await store.changes(0, 1))[0]!.sequence, "and removes nothing").toBe(first);
          const r = await store.gc({ changeLogMaxEntries: 10, usePolicy: false });
          const kept: ChangeSet[] = await allChanges(store.adapter, 0);
          expect(kept.length, "at least the limit is kept").toBeGreaterThanOrEqual(10);
          // An adapter may keep a few more (whole files): bounded here generously.
          expect(kept.length, "the log was trimmed").toBeLessThanOrEqual(10 + 128);
          expect(r.changeSets, "the report counts what went").toBe(head - first + 1 - kept.length);
          expect(kept[kept.length - 1]!.sequence, "the latest is kept").toBe(head);
          expect(
            kept.every((c, i) => i === 0 || c.sequence === kept[i - 1]!.sequence + 1),
            "what is kept has no hole",
          ).toBe(true);
          expect(await store.sequence(), "the sequence is unchanged").toBe(head);
          const sets = await store.changes(1, 5);
          expect(sets[0]!.sequence, "changes() after a trimmed point starts at the oldest kept: a gap a watcher reports").toBe(
            kept[0]!.sequence,
          );
          const watchable = store as unknown as Partial<CoordinationStore>;
          if (typeof watchable.watch === "function") {
            const controller = new AbortController();
            const it = watchable.watch({ since: 1, signal: controller.signal, pollMs: 5 })[Symbol.asyncIterator]();
            const first = (await it.next()).value as WatchEvent | undefined;
            controller.abort();
            await it.return?.();
            expect(first, "a watcher behind the cut gets a typed reset naming the oldest kept").toMatchObject({
              type: "reset",
              since: 1,
              oldest: kept[0]!.sequence,
            });
          }
          await store.state("log").set("/i", "after");
          expect(await store.sequence(), "the next commit takes the next sequence").toBe(head + 1);
          // By age: everything committed before now is older than 0 ms, but the latest always stays.
          await pause(5);
          const aged = await store.gc({ changeLogMaxAgeMs: 0, usePolicy: false });
          const left = await allChanges(store.adapter, 0);
          expect(left[left.length - 1]!.sequence).toBe(head + 1);
          expect(aged.changeSets).toBe(kept.length + 1 - left.length);
        },
      );
    },
  );

  const writers = 3;
  const sessions = s.options.sizes === "full" ? 200 : 40;
  s.describeGroup(
    "retention-multi-process",
    "gc running over and over in one process while writer processes create, write, end and revive sessions: nothing active or acknowledged is lost",
    [requires.domain, requires.multiProcess],
    () => {
      s.clause(
        `${writers} writer processes × ${sessions} sessions against a gc process (age 0, 50 change sets kept): every active session and acknowledged write remains`,
        async (scope) => {
          const { expect } = scope;
          const store = await openGc(scope);
          const extra = { extra: { lockTimeoutMs: 120_000 } };
          const gc = scope.spawn("retention-gc", {}, extra);
          const children = Array.from({ length: writers }, (_, writer) => scope.spawn("retention-writer", { writer, sessions }, extra));
          await gc.next("ready", 120_000);
          await Promise.all(children.map((c) => c.next("ready", 120_000)));
          for (const c of children) c.send({ cmd: "go" });
          const results = await Promise.all(children.map((c) => c.result()));
          gc.send({ cmd: "stop" });
          const totals = await gc.result();
          expect(totals.errors, "gc runs failed").toEqual([]);
          expect(totals.runs as number, "gc ran while the writers wrote").toBeGreaterThan(1);
          const present = await sessionsByStatus(store);
          for (const [writer, r] of results.entries()) {
            expect(r.errors, `writer ${writer}`).toEqual([]);
            for (const [id, v] of Object.entries(r.active as Record<string, number>)) {
              expect(present.get(id), `active session ${id}`).toBe("active");
              expect(await store.sessionState(id).get("/v"), `${id}'s acknowledged state`).toBe(v);
            }
            expect(await store.state(`w${writer}`).get("/i"), `writer ${writer}'s last acknowledged global write`).toBe(r.global);
          }
          const active = results.reduce((n, r) => n + Object.keys(r.active as object).length, 0);
          // One last run (no writer left): every ended session goes, every active one stays.
          await store.gc({ endedOlderThanMs: 0, usePolicy: false });
          const after = await sessionsByStatus(store);
          expect(
            [...after.values()].filter((x) => x !== "active"),
            "ended sessions left",
          ).toEqual([]);
          expect(after.size).toBe(active);
          expect((totals.sessions as number) > 0, "gc removed ended sessions while the writers ran").toBe(true);
          for (const r of results) for (const id of r.ended as string[]) expect(after.has(id), `ended ${id}`).toBe(false);
        },
      );
    },
  );
}
