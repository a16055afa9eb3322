import { seededRandom } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";
import { HISTORY, HISTORY_META, type JsonValue, applyPatch, isStatehouseError, jsonDiff, open } from "../dist/index.js";

function codeOf(err: unknown): string {
  return isStatehouseError(err) ? err.code : `untyped ${String(err)}`;
}

async function thrownCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "no error";
  } catch (err) {
    return codeOf(err);
  }
}

function randomValue(next: () => number, depth: number): JsonValue {
  const pick = Math.floor(next() * (depth > 0 ? 7 : 4));
  if (pick === 0) return Math.floor(next() * 10);
  if (pick === 1) return ["a", "b/c", "~", ""][Math.floor(next() * 4)]!;
  if (pick === 2) return next() < 0.5;
  if (pick === 3) return null;
  if (pick === 4) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth - 1));
  const out: Record<string, JsonValue> = {};
  for (const k of ["a", "b", "c/d", "e~f", "0"]) if (next() < 0.6) out[k] = randomValue(next, depth - 1);
  return out;
}

describe("jsonDiff", () => {
  it("gives a patch that turns a into b, for 2,000 random pairs (arrays and type changes replaced whole)", () => {
    const next = seededRandom(6902);
    for (let i = 0; i < 2000; i++) {
      const a = randomValue(next, 4);
      const b = next() < 0.2 ? a : randomValue(next, 4);
      const ops = jsonDiff(a, b);
      expect(applyPatch(a, ops), JSON.stringify({ a, b, ops })).toEqual(b);
      if (b === a) expect(ops).toEqual([]);
    }
  });

  it("names only what changed in objects", () => {
    expect(jsonDiff({ a: 1, b: { c: [1, 2], d: "x" }, gone: 1 }, { a: 1, b: { c: [1, 3], d: "x" }, added: { n: 1 } })).toEqual([
      { op: "remove", path: "/gone" },
      { op: "replace", path: "/b/c", value: [1, 3] },
      { op: "add", path: "/added", value: { n: 1 } },
    ]);
  });
});

describe("history in core", () => {
  it("historyLimit is checked when the store opens", async () => {
    for (const bad of [-1, 1001, 1.5, "5"]) {
      expect(await thrownCode(() => open("memory:", { historyLimit: bad as never })), String(bad)).toBe("E_VALIDATION");
    }
    const store = await open("memory:", { historyLimit: 1000 });
    expect(store.historyLimit).toBe(1000);
    await store.close();
  });

  it("keeps a document at the size limit (values are stored as they are), and a batch's bound counts only the user's writes", async () => {
    const maxBytes = 4096;
    const store = await open("memory:", { limits: { maxBytes } });
    const doc = store.state("big");
    // Just under the limit: a wrapper around the value would not fit.
    const fill = "x".repeat(maxBytes - 40);
    await doc.replace({ s: fill, n: 1 });
    await store.batch([{ op: "state.set", doc: "big", pointer: "/n", value: 2 }]);
    expect((await doc.read({ revision: 1 })).value).toEqual({ s: fill, n: 1 });
    expect((await doc.history()).map((e) => e.size)).toEqual([
      JSON.stringify({ s: fill, n: 2 }).length,
      JSON.stringify({ s: fill, n: 1 }).length,
    ]);
    const records = await store.adapter.list(HISTORY);
    expect(records.records.map((r) => r.id)).toEqual(["g.big@0000000000000001"]);
    expect((await store.adapter.list(HISTORY_META)).records.map((r) => r.id)).toEqual(["g.big"]);
    await store.close();
  });

  it("a document name too long to leave room for the revision is keyed by its hash", async () => {
    const store = await open("memory:");
    const name = "n".repeat(200);
    const doc = store.state(name);
    await doc.set("/a", 1);
    await doc.set("/a", 2);
    expect(await doc.read({ revision: 1 })).toEqual({ value: { a: 1 }, revision: 1 });
    const ids = (await store.adapter.list(HISTORY)).records.map((r) => r.id);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^g\+[0-9a-f]{64}@0000000000000001$/);
    await store.close();
  });

  it("lowering historyLimit trims a document's history at its next write", async () => {
    const store = await open("memory:", { historyLimit: 10 });
    for (let i = 0; i < 12; i++) await store.state().set("/i", i);
    expect(await store.adapter.count(HISTORY)).toBe(10);
    const fewer = new (store.constructor as typeof import("../dist/index.js").Store)(store.adapter, { historyLimit: 3 });
    await fewer.state().set("/i", 12);
    expect((await fewer.state().history()).map((e) => e.revision)).toEqual([13, 12, 11, 10]);
    expect(await store.adapter.count(HISTORY), "entries beyond the new limit deleted").toBe(3);
    await store.close();
  });
});
