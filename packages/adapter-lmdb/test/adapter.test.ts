import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isStatehouseError } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { tempDir } from "./helpers.js";

const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "no error",
    (e: unknown) => (isStatehouseError(e) ? e.code : `untyped ${(e as Error).message}`),
  );

describe("LMDB adapter specifics", () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it("opens through openAdapterUrl('lmdb:DIR'), creating missing directories 0700 and files 0600 under umask 022", async () => {
    const old = process.umask(0o022);
    try {
      const path = join(dir, "a", "b", "env");
      const a = await openAdapterUrl(`lmdb:${path}`);
      expect(a.kind).toBe("lmdb");
      expect(a.capabilities).toMatchObject({
        persistent: true,
        multiProcess: true,
        filesystem: true,
        compaction: true,
        durability: ["strict", "relaxed"],
      });
      await a.transact((tx) => tx.put("docs", "x", { v: 1 }));
      await a.close();
      for (const d of [join(dir, "a"), join(dir, "a", "b"), path]) expect(statSync(d).mode & 0o777, d).toBe(0o700);
      for (const f of readdirSync(path)) expect(statSync(join(path, f)).mode & 0o777, f).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it("keeps exactly changeRetention change sets, also when the retention shrinks between opens", async () => {
    const path = join(dir, "retention");
    let a = await LmdbAdapter.open(path, { changeRetention: 5 });
    for (let i = 0; i < 12; i++) await a.transact((tx) => tx.put("docs", `d${i}`, { i }));
    expect((await a.changes(0)).map((c) => c.sequence)).toEqual([8, 9, 10, 11, 12]);
    expect((await a.changes(9, 2)).map((c) => c.sequence)).toEqual([10, 11]);
    await a.close();
    a = await LmdbAdapter.open(path, { changeRetention: 3 });
    await a.transact((tx) => tx.put("docs", "more", {}));
    expect((await a.changes(0)).map((c) => c.sequence)).toEqual([11, 12, 13]);
    expect(await a.check()).toEqual({ ok: true, problems: [], repaired: [] });
    await a.close();
  });

  it("an index entry over LMDB's key size is E_VALIDATION and writes nothing", async () => {
    const a = await LmdbAdapter.open(join(dir, "keysize"));
    await a.transact((tx) => tx.put("docs", "ok", { v: 1 }, { index: { k: "short" } }));
    const huge = "k".repeat(3000);
    expect(
      await code(
        a.transact((tx) => {
          tx.put("docs", "other", { v: 2 });
          tx.put("docs", "ok", { v: 3 }, { index: { k: huge } });
        }),
      ),
    ).toBe("E_VALIDATION");
    expect(await a.get("docs", "other")).toBeUndefined();
    expect((await a.get("docs", "ok"))?.value).toEqual({ v: 1 });
    expect(await a.sequence()).toBe(1);
    expect(await a.count("docs", { index: "k" })).toBe(1);
    await a.close();
  });

  it("an LMDB environment made by something else is E_CONFIG and is left alone", async () => {
    const path = join(dir, "foreign");
    const { open } = await import("lmdb");
    const other = open({ path });
    await other.put("their-key", { theirs: true });
    await other.close();
    expect(await code(LmdbAdapter.open(path))).toBe("E_CONFIG");
    const again = open({ path });
    expect([...again.getKeys({})]).toEqual(["their-key"]);
    await again.close();
  });

  it("bad options are E_CONFIG; after close() every call is E_CLOSED", async () => {
    expect(await code(LmdbAdapter.open(join(dir, "bad"), { durability: "sometimes" as never }))).toBe("E_CONFIG");
    expect(await code(LmdbAdapter.open(join(dir, "bad"), { cacheSize: -1 }))).toBe("E_CONFIG");
    const a = await LmdbAdapter.open(join(dir, "closed"));
    await a.close();
    for (const p of [
      a.get("docs", "x"),
      a.list("docs"),
      a.count("docs"),
      a.transact(() => 1),
      a.changes(0),
      a.sequence(),
      a.check(),
      a.compact(),
    ]) {
      expect(await code(p)).toBe("E_CLOSED");
    }
  });

  it("relaxed and strict adapters share a store (durability is not an environment flag)", async () => {
    const path = join(dir, "relaxed");
    const a = await LmdbAdapter.open(path, { durability: "relaxed" });
    for (let i = 0; i < 20; i++) await a.transact((tx) => tx.put("docs", `d${i}`, { i }));
    await a.close();
    const b = await LmdbAdapter.open(path);
    expect(await b.count("docs")).toBe(20);
    const c = await LmdbAdapter.open(path, { durability: "relaxed" });
    await c.transact((tx) => tx.put("docs", "more", {}));
    expect(await b.count("docs")).toBe(21);
    await c.close();
    await b.close();
  });

  it("a value cached by one adapter is never served after another adapter changed it (same stamp check as across processes)", async () => {
    const path = join(dir, "cache");
    const a = await LmdbAdapter.open(path);
    const b = await LmdbAdapter.open(path);
    await a.transact((tx) => tx.put("docs", "x", { v: 1 }));
    expect((await a.get("docs", "x"))?.value).toEqual({ v: 1 });
    const first = await a.get("docs", "x");
    expect(await a.get("docs", "x")).toBe(first); // served from the cache: the same frozen object
    await b.transact((tx) => tx.put("docs", "x", { v: 2 }));
    expect((await a.get("docs", "x"))?.value).toEqual({ v: 2 });
    await b.transact((tx) => tx.delete("docs", "x"));
    await b.transact((tx) => tx.put("docs", "x", { v: 1 })); // same revision as the first, new stamp
    const again = await a.get("docs", "x");
    expect(again?.value).toEqual({ v: 1 });
    expect(again).not.toBe(first);
    await a.close();
    await b.close();
  });
});
