import { seededRandom } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";
import { open, type Store } from "../src/domain/store.js";
import { isStatehouseError } from "../src/errors.js";
import type { JsonValue } from "../src/json/types.js";
import { runTransaction } from "../src/spi/tx-buffer.js";
import { checkValue, DEFAULT_LIMITS, validateValue } from "../src/validation.js";

/**
 * The one-pass write path (README "Write path"): core checks and serialises a value once, freezes
 * its copy and remembers the text, and a transaction trusts that text instead of walking the value
 * again. These tests pin what that must not change: a caller's object never reaches the store, a
 * stored value cannot be changed through anything handed out, and every limit still holds on
 * every path, including a remembered value put into a store with smaller limits.
 */
let stores: Store[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function memory(options: Parameters<typeof open>[1] = {}): Promise<Store> {
  const s = await open("memory:", options);
  stores.push(s);
  return s;
}

async function errorCode(fn: () => Promise<unknown> | unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    if (isStatehouseError(err)) return err.code;
    throw err;
  }
  return undefined;
}

function nested(depth: number): JsonValue {
  let v: JsonValue = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** A random JSON value (objects, arrays, strings with escapes, numbers) of at most `depth` levels. */
function randomJson(rnd: () => number, depth: number): JsonValue {
  const r = rnd();
  if (depth === 0 || r < 0.3) {
    if (r < 0.1) return Math.floor(rnd() * 1e6) - 5e5;
    if (r < 0.2) return `s${'"\\é\n😀'.slice(0, Math.floor(rnd() * 6))}${Math.floor(rnd() * 100)}`;
    return r < 0.25 ? null : rnd() < 0.5;
  }
  const n = Math.floor(rnd() * 5);
  if (r < 0.6) return Array.from({ length: n }, () => randomJson(rnd, depth - 1));
  const o: Record<string, JsonValue> = {};
  for (let i = 0; i < n; i++) o[`k${Math.floor(rnd() * 50)}~/`] = randomJson(rnd, depth - 1);
  return o;
}

/** The depth `checkValue` must report, computed the slow, obvious way. */
function depthOf(v: JsonValue): number {
  if (typeof v !== "object" || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe("one walk: checkValue", () => {
  it("gives JSON.stringify's text and the exact depth of 2,000 random values", () => {
    const rnd = seededRandom(16_2026);
    for (let i = 0; i < 2000; i++) {
      const v = randomJson(rnd, 1 + Math.floor(rnd() * 8));
      const c = checkValue(v);
      expect(c.json).toBe(JSON.stringify(v));
      expect(c.depth).toBe(depthOf(v));
    }
  });

  it("still names the JSON Pointer of each kind of problem the fast walk meets", () => {
    const shared = { x: 1 };
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const cyclic: Record<string, unknown> = { a: {} };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    const cases: Array<[unknown, string]> = [
      [{ a: [1, Number.NaN] }, "/a/1"],
      [{ a: { "b/c": undefined } }, "/a/b~1c"],
      [{ a: shared, b: shared }, ""],
      [cyclic, "/a/back"],
      [{ list: sparse }, "/list/1"],
      [{ when: new Date(0) }, "/when"],
      [JSON.parse('{"ok":{"__proto__":1}}'), "/ok/__proto__"],
      [{ big: 10n }, "/big"],
      [nested(65), "/a".repeat(64)],
    ];
    for (const [value, path] of cases) {
      let caught: unknown;
      try {
        validateValue(value);
      } catch (err) {
        caught = err;
      }
      expect(isStatehouseError(caught, "E_VALIDATION"), String(path)).toBe(true);
      const details = (caught as { details: { path?: string } }).details;
      // A shared reference is reported where it is met second, whichever member that is.
      if (path === "") expect(["/a", "/b"]).toContain(details.path);
      else expect(details.path).toBe(path);
    }
  });
});

describe("a caller's object never reaches the store", () => {
  it("replace, set and merge copy what they are given: changing it after the write changes nothing stored", async () => {
    const store = await memory();
    const doc = store.state("wp");
    const whole = { a: { b: [1, 2] }, s: "x" };
    await doc.replace(whole);
    whole.a.b.push(3);
    whole.s = "changed";
    const part = { deep: { n: 1 } };
    await doc.set("/part", part);
    part.deep.n = 99;
    const patch = { m: { k: "v" } };
    await doc.merge(patch);
    patch.m.k = "changed";
    expect(await doc.get()).toEqual({ a: { b: [1, 2] }, s: "x", part: { deep: { n: 1 } }, m: { k: "v" } });
    expect((await store.state("wp").read()).revision).toBe(3);
  });

  it("a session's metadata is copied at create: changing the caller's object, or trying to change the returned one, changes nothing stored", async () => {
    const store = await memory();
    const metadata = { branch: "main", nested: { n: 1 } };
    const created = await store.sessions.create({ id: "s1", name: "task", metadata });
    metadata.nested.n = 2;
    expect(() => {
      (created.metadata as { branch: string }).branch = "other";
    }).toThrow(TypeError);
    expect((await store.sessions.get("s1")).metadata).toEqual({ branch: "main", nested: { n: 1 } });
  });

  it("what a read returns is frozen: it cannot be changed, so no later write can carry a change made through it", async () => {
    const store = await memory();
    const doc = store.state("wp");
    await doc.replace({ a: { b: 1 } });
    const read = (await doc.get()) as { a: { b: number } };
    expect(() => {
      read.a.b = 2;
    }).toThrow(TypeError);
    await doc.set("/c", 1);
    expect(await doc.get()).toEqual({ a: { b: 1 }, c: 1 });
  });

  it("update hands its function a mutable copy; the function's result is stored as it was when returned", async () => {
    const store = await memory();
    const doc = store.state("wp");
    await doc.replace({ n: 1, list: [1] });
    let given: { n: number; list: number[] } | undefined;
    await doc.update((cur) => {
      given = cur as { n: number; list: number[] };
      given.n += 1;
      given.list.push(2);
      return given;
    });
    given!.n = 100;
    given!.list.push(100);
    expect(await doc.get()).toEqual({ n: 2, list: [1, 2] });
    // The previous revision history keeps is the stored one, not the copy the function changed.
    expect((await doc.read({ revision: 1 })).value).toEqual({ n: 1, list: [1] });
  });

  it("a stored value written back, whole or inside itself, is stored as a copy", async () => {
    const store = await memory();
    const doc = store.state("wp");
    await doc.replace({ a: { b: 1 } });
    await doc.replace((await doc.get())!);
    await doc.set("/copy", (await doc.get())!);
    await doc.set("/again", (await doc.get("/copy"))!);
    expect(await doc.get()).toEqual({ a: { b: 1 }, copy: { a: { b: 1 } }, again: { a: { b: 1 } } });
    expect((await doc.history()).map((e) => e.revision)).toEqual([4, 3, 2, 1]);
  });
});

describe("every limit still holds on every changed path", () => {
  const limits = { maxDepth: 8, maxBytes: 200 };

  it("replace, set, update and merge refuse a too-deep or too-large value with E_VALIDATION, storing nothing", async () => {
    const store = await memory({ limits });
    const doc = store.state("wp");
    await doc.replace({ ok: true });
    const big = "x".repeat(300);
    const attempts: Array<() => Promise<unknown>> = [
      () => doc.replace(nested(9)),
      () => doc.replace({ big }),
      () => doc.set("/deep", nested(8)), // the value fits, the document it makes does not
      () => doc.set("/big", big),
      () => doc.update(() => nested(9)),
      () => doc.update(() => ({ big })),
      () => doc.merge({ deep: nested(8) }),
    ];
    for (const attempt of attempts) expect(await errorCode(attempt)).toBe("E_VALIDATION");
    expect(await doc.read()).toEqual({ value: { ok: true }, revision: 1 });
    // A session record is composed around its metadata: the record's depth and size count.
    expect(await errorCode(() => store.sessions.create({ id: "deep", metadata: nested(8) as Record<string, JsonValue> }))).toBe(
      "E_VALIDATION",
    );
    expect(await errorCode(() => store.sessions.create({ id: "big", metadata: { big: "x".repeat(150) } }))).toBe("E_VALIDATION");
    await store.sessions.create({ id: "fits", metadata: nested(2) as Record<string, JsonValue> });
    expect((await store.sessions.list({})).items.map((x) => x.id)).toEqual(["fits"]);
  });

  it("set, increment and delete, serialised without a walk, still refuse a document that would be too deep or too large", async () => {
    // History off: its meta record grows by an entry a write, and 200 bytes are soon used up.
    const store = await memory({ limits, historyLimit: 0 });
    const doc = store.state("wp");
    await doc.replace({ deep: nested(6) }); // depth 7
    const eight = "/a".repeat(8);
    expect(await errorCode(() => doc.set("/deep/a/a/a/a/a/a", { x: { y: 1 } }))).toBe("E_VALIDATION"); // depth 9
    expect(await errorCode(() => doc.increment(`/n${eight}`))).toBe("E_VALIDATION"); // 9 objects deep
    expect(await errorCode(() => doc.set("/s", "z".repeat(150)))).toBe("E_VALIDATION");
    expect(await doc.read()).toEqual({ value: { deep: nested(6) }, revision: 1 });
    await doc.increment("/n/a/a/a/a/a/a"); // depth 7: fits
    await doc.delete("/n");
    await doc.set("/deep/a/a/a/a/a/a", 2);
    expect((await doc.read()).revision).toBe(4);
  });

  it("a document made shallower by a write is judged by its real depth, not the bound it was stored with", async () => {
    const roomy = await memory();
    const shallow = await memory({ limits: { maxDepth: 2, maxBytes: 1000 } });
    const doc = roomy.state("wp");
    await doc.replace({ deep: nested(7), keep: 1 });
    await doc.set("/deep", 1); // now depth 1; the write's bound said 8
    await doc.delete("/keep");
    const value = (await doc.get())!;
    expect(value).toEqual({ deep: 1 });
    // A store whose limit is below the bound walks the value and accepts it (history off: its meta record is depth 3).
    const other = await open("memory:", { limits: { maxDepth: 2, maxBytes: 1000 }, historyLimit: 0 });
    stores.push(other);
    await other.state("copy").replace(value);
    await other.state("copy").set("/more", value);
    expect(await other.state("copy").get()).toEqual({ deep: 1, more: { deep: 1 } });
    expect(shallow.limits.maxDepth).toBe(2);
  });

  it("a value read from a store with larger limits is checked against the smaller limits of the store it is written to", async () => {
    const roomy = await memory();
    const small = await memory({ limits });
    await roomy.state("deep").replace(nested(9));
    await roomy.state("big").replace({ big: "y".repeat(300) });
    const deep = (await roomy.state("deep").get())!;
    const big = (await roomy.state("big").get())!;
    for (const value of [deep, big]) {
      expect(await errorCode(() => small.state("wp").replace(value))).toBe("E_VALIDATION");
      expect(await errorCode(() => small.state("wp").set("/v", value))).toBe("E_VALIDATION");
      expect(await errorCode(() => small.state("wp").update(() => value))).toBe("E_VALIDATION");
    }
    expect((await small.state("wp").read()).revision).toBe(0);
  });

  it("the SPI transaction buffer applies its own limits to a value another buffer checked and froze", () => {
    const stored = new Map<string, { value: JsonValue }>();
    // A first transaction with the default limits checks, freezes and keeps the value.
    const first = runTransaction(
      (tx) => {
        tx.put("c", "a", nested(9));
        return tx.get("c", "a")!.value;
      },
      () => undefined,
      DEFAULT_LIMITS,
    );
    expect(Object.isFrozen(first.result)).toBe(true);
    stored.set("a", { value: first.result });
    let code: string | undefined;
    try {
      runTransaction(
        (tx) => tx.put("c", "b", stored.get("a")!.value),
        () => undefined,
        limits,
      );
    } catch (err) {
      code = isStatehouseError(err) ? err.code : "raw";
    }
    expect(code).toBe("E_VALIDATION");
    // Within the limits, the same frozen value is stored as it is (no copy) with the same text.
    const again = runTransaction(
      (tx) => tx.put("c", "b", stored.get("a")!.value),
      () => undefined,
      DEFAULT_LIMITS,
    );
    expect(again.writes[0]).toMatchObject({ type: "put", json: JSON.stringify(nested(9)) });
    expect(again.writes[0]!.type === "put" && again.writes[0]!.value).toBe(first.result);
  });
});
