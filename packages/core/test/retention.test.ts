import { afterEach, describe, expect, it } from "vitest";
import { RETENTION_DEFAULTS, retentionPolicyOf } from "../src/domain/retention-policy.js";
import { type Store, open } from "../src/domain/store.js";
import { codeOf } from "./helpers/error-code.js";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("the retention policy", () => {
  it("is absent without a retention section, takes documented defaults, reads the earlier names, refuses bad values", async () => {
    expect(retentionPolicyOf(undefined)).toBeUndefined();
    expect(retentionPolicyOf({ name: "x" })).toBeUndefined();
    expect(retentionPolicyOf({ retention: {} })).toEqual({
      endedSessionsMaxAgeSeconds: RETENTION_DEFAULTS.endedSessionsMaxAgeSeconds,
      scheduleSeconds: RETENTION_DEFAULTS.scheduleSeconds,
    });
    expect(RETENTION_DEFAULTS).toEqual({ endedSessionsMaxAgeSeconds: 30 * 86_400, scheduleSeconds: 3_600 });
    expect(retentionPolicyOf({ retention: { sessionsDays: 2, changes: 500 } })).toMatchObject({
      endedSessionsMaxAgeSeconds: 172_800,
      changeLogMaxEntries: 500,
    });
    expect(retentionPolicyOf({ retention: { endedSessionsMaxAgeSeconds: 0, changeLogMaxAgeDays: 0.5, scheduleSeconds: 60 } })).toEqual({
      endedSessionsMaxAgeSeconds: 0,
      changeLogMaxAgeDays: 0.5,
      scheduleSeconds: 60,
    });
    for (const bad of [
      { endedSessionsMaxAgeSeconds: -1 },
      { endedSessionsMaxAgeSeconds: Number.NaN },
      { changeLogMaxEntries: 0 },
      { changeLogMaxEntries: 1.5 },
      { changeLogMaxAgeDays: 0 },
      { scheduleSeconds: 0.5 },
      { sessionsDays: "7" },
    ]) {
      expect(await codeOf(Promise.resolve().then(() => retentionPolicyOf({ retention: bad as never }))), JSON.stringify(bad)).toBe(
        "E_VALIDATION",
      );
    }
    expect(await codeOf(Promise.resolve().then(() => retentionPolicyOf({ retention: [] as never })))).toBe("E_VALIDATION");
  });

  it("a bad policy stored past the schema (straight through the adapter) stops gc with E_VALIDATION before anything is removed", async () => {
    store = await open("memory:");
    const s = await store.sessions.create();
    await store.sessions.end(s.id);
    await store.adapter.transact((tx) => tx.put("config", "default", { retention: { endedSessionsMaxAgeSeconds: -5 } }));
    await expect(store.gc()).rejects.toMatchObject({ code: "E_VALIDATION" });
    expect(await store.sessions.find(s.id)).toBeDefined();
    // usePolicy: false ignores it.
    expect((await store.gc({ usePolicy: false, endedOlderThanMs: 0 })).sessions).toBe(1);
  });
});

describe("store.gc() works in bounded batches", () => {
  it("removes at most batchSize sessions per transaction, each its own change set", async () => {
    store = await open("memory:");
    for (let i = 0; i < 7; i++) {
      const s = await store.sessions.create({ id: `s${i}` });
      await store.sessionState(s.id).set("/i", i);
      await store.sessions.end(s.id);
    }
    await store.sessions.create({ id: "live" });
    const before = await store.sequence();
    const r = await store.gc({ endedOlderThanMs: 0, batchSize: 3, usePolicy: false });
    expect(r).toEqual({ sessions: 7, stateDocuments: 7, agents: 0, idempotencyRecords: 0, changeSets: 0, dryRun: false });
    const sets = await store.changes(before);
    expect(sets.length, "three transactions: 3 + 3 + 1 sessions").toBe(3);
    for (const set of sets) expect(set.changes.filter((c) => c.collection === "sessions").length).toBeLessThanOrEqual(3);
    expect((await store.sessions.list()).items.map((s) => s.id)).toEqual(["live"]);
  });

  it("refuses bad options before reading anything: E_VALIDATION", async () => {
    store = await open("memory:");
    for (const bad of [
      { batchSize: 1001 },
      { batchSize: 1.5 },
      { endedOlderThanMs: Number.POSITIVE_INFINITY },
      { endedBefore: "2026-01-01T00:00:00Z", endedOlderThanMs: 1 },
      { changeLogMaxAgeMs: -1 },
    ]) {
      await expect(store.gc(bad), JSON.stringify(bad)).rejects.toMatchObject({ code: "E_VALIDATION" });
    }
  });
});
