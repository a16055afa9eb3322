import { closeSync, openSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileAdapter, Layout, StoreLock } from "@statehouse/adapter-file";
import { isStatehouseError } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadPid, removeDir, tempDir } from "./helpers.js";

let root: string;
let n = 0;
const fresh = () => join(root, `s${n++}`);

beforeAll(() => {
  root = tempDir("adapter");
});
afterAll(() => removeDir(root));

describe("file adapter: reads", () => {
  it("opens through openAdapterUrl(file:DIR) and declares its capabilities", async () => {
    const a = await openAdapterUrl(`file:${fresh()}`);
    expect(a.kind).toBe("file");
    expect(a.capabilities).toMatchObject({
      persistent: true,
      multiProcess: true,
      filesystem: true,
      corruptionRecovery: true,
      compaction: true,
    });
    expect(a.durability).toBe("strict");
    await a.close();
  });

  it("an unchanged record is served from the cache: the same frozen object, not re-read or re-parsed", async () => {
    const a = await FileAdapter.open(fresh());
    await a.transact((tx) => tx.put("state", "global", { a: { b: [1, 2] } }));
    const r1 = await a.get("state", "global");
    const r2 = await a.get("state", "global");
    expect(r2).toBe(r1);
    expect(Object.isFrozen(r1!.value)).toBe(true);
    expect(Object.isFrozen((r1!.value as { a: { b: number[] } }).a.b)).toBe(true);
    await a.close();
  });

  it("a read after another adapter's write sees it (two views of one store), and unrelated records stay cached", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir);
    const b = await FileAdapter.open(dir);
    await a.transact((tx) => {
      tx.put("state", "x", { v: 1 });
      tx.put("state", "y", { v: 1 });
    });
    const y1 = await b.get("state", "y");
    expect((await b.get("state", "x"))?.value).toEqual({ v: 1 });
    await a.transact((tx) => tx.put("state", "x", { v: 2 }));
    expect((await b.get("state", "x"))?.value).toEqual({ v: 2 });
    expect(await b.get("state", "y")).toBe(y1);
    await a.close();
    await b.close();
  });

  it("folding keeps every record, index entry and change set, across two adapters writing in turn", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir, { foldEvery: 4 });
    const b = await FileAdapter.open(dir, { foldEvery: 4 });
    for (let i = 0; i < 60; i++) {
      const w = i % 2 === 0 ? a : b;
      await w.transact((tx) => {
        tx.put("items", `i${i % 25}`, { i }, { index: { parity: i % 2 === 0 ? "even" : "odd" } });
        if (i % 7 === 0) tx.delete("items", `i${(i + 3) % 25}`);
      });
    }
    for (const r of [a, b]) {
      expect(await r.sequence()).toBe(60);
      const sets = await r.changes(0, 1000);
      expect(sets.map((s) => s.sequence)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      const evens = await r.list("items", { index: "parity", prefix: "even", limit: 1000 });
      expect(evens.records.every((x) => (x.value as { i: number }).i % 2 === 0)).toBe(true);
    }
    const fromA = (await a.list("items", { limit: 1000 })).records;
    const fromB = (await b.list("items", { limit: 1000 })).records;
    expect(fromB).toEqual(fromA);
    const c = await FileAdapter.open(dir);
    expect((await c.list("items", { limit: 1000 })).records).toEqual(fromA);
    // Folding bounds the commit log: at most two folds' worth of commit files remain.
    const commits = readdirSync(join(dir, "wal")).filter((f) => f.endsWith(".json"));
    expect(commits.length).toBeLessThanOrEqual(9);
    expect((await c.check()).ok).toBe(true);
    for (const x of [a, b, c]) await x.close();
  });

  it("compact() gives the folded commit files back (only the fold point's remains); a reader left behind reloads and sees everything", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir, { foldEvery: 32 });
    const behind = await FileAdapter.open(dir);
    const load = (i: number) =>
      a.transact((tx) => {
        for (let j = 0; j < 20; j++) tx.put("items", `i${i}-${j}`, { i, j, pad: "x".repeat(200) }, { index: { i: String(i) } });
      });
    for (let i = 0; i < 3; i++) await load(i);
    // The reader has applied commit 3 and loaded every bucket: commits 4–12 are what it would read next.
    expect(await behind.count("items")).toBe(60);
    expect((await behind.list("items", { index: "i", limit: 100 })).records).toHaveLength(60);
    for (let i = 3; i < 10; i++) await load(i);
    await a.transact((tx) => tx.put("items", "extra", { extra: true }));
    await a.transact((tx) => tx.put("items", "later", { later: true }));
    await a.compact();
    expect(readdirSync(join(dir, "wal")).sort()).toEqual(["0000000000000012.folded", "0000000000000012.json"]);
    expect(await behind.count("items")).toBe(202);
    expect((await behind.get("items", "later"))?.value).toEqual({ later: true });
    expect((await behind.list("items", { index: "i", prefix: "9", limit: 100 })).records).toHaveLength(20);
    expect((await a.changes(0, 100)).map((c) => c.sequence)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // And the next commit after a compaction lands and folds as usual.
    await behind.transact((tx) => tx.put("items", "after", { after: true }));
    expect((await a.get("items", "after"))?.value).toEqual({ after: true });
    expect((await a.check()).ok).toBe(true);
    await a.close();
    await behind.close();
  });

  it("records read back from data files (values parsed on first access) are deep-frozen, stable and complete", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir);
    const value = { name: "x", nested: { list: [1, { deep: true }] }, text: '},"value":{' };
    // Index names are validated at the SPI boundary now; the key still looks like the data file's own JSON.
    await a.transact((tx) => tx.put("docs", "d1", value, { index: { tricky: '},"value":' } }));
    await a.compact();
    await a.close();
    const b = await FileAdapter.open(dir);
    const r1 = await b.get("docs", "d1");
    expect(JSON.parse(JSON.stringify(r1))).toEqual({ collection: "docs", id: "d1", revision: 1, value });
    expect(Object.isFrozen((r1!.value as typeof value).nested.list[1])).toBe(true);
    expect(await b.get("docs", "d1")).toBe(r1);
    expect((await b.list("docs", { index: "tricky" })).records.map((r) => r.value)).toEqual([value]);
    await b.close();
  });

  it("cacheRecords bounds what a process keeps loaded; dropped buckets read back the same", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir, { foldEvery: 8, cacheRecords: 10 });
    for (let i = 0; i < 60; i++)
      await a.transact((tx) => tx.put("docs", `d${i}`, { i, doubled: tx.get("docs", `d${i - 1}`)?.revision ?? 0 }));
    const b = await FileAdapter.open(dir, { cacheRecords: 10 });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 60; i++) expect((await b.get("docs", `d${i}`))?.value).toEqual({ i, doubled: i === 0 ? 0 : 1 });
    }
    await a.transact((tx) => tx.put("docs", "d7", { i: 7, doubled: 9 }));
    expect((await b.get("docs", "d7"))?.value).toEqual({ i: 7, doubled: 9 });
    expect(await b.count("docs")).toBe(60);
    await a.close();
    await b.close();
  });

  it("data files are plain, readable JSON lines under a checksummed header", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir);
    await a.transact((tx) => tx.put("sessions", "abc", { name: "readable" }, { index: { status: "active" } }));
    await a.compact();
    await a.close();
    const files = readdirSync(join(dir, "data", "sessions"));
    expect(files.some((f) => f.endsWith(".copy.json"))).toBe(true);
    const text = (await import("node:fs")).readFileSync(join(dir, "data", "sessions", files.find((f) => !f.includes("copy"))!), "utf8");
    const [header, line] = text.trim().split("\n");
    expect(JSON.parse(header!)).toMatchObject({ statehouse: "segment", collection: "sessions", records: 1 });
    expect(JSON.parse(line!)).toEqual({ id: "abc", rev: 1, index: { status: "active" }, value: { name: "readable" } });
  });
});

describe("file adapter: leftovers and locks", () => {
  it("opening sweeps temporary files of dead writers and keeps those of live ones", async () => {
    const dir = fresh();
    await (await FileAdapter.open(dir)).close();
    const dead = join(dir, "wal", `.0000000000000001.json.${deadPid()}-1.aaaaaaaaaaaa.tmp`);
    const self = (await import("node:fs")).readFileSync("/proc/self/stat", "latin1");
    const start = self.slice(self.lastIndexOf(")") + 2).split(" ")[19];
    const live = join(dir, "wal", `.0000000000000001.json.${process.pid}-${start}.bbbbbbbbbbbb.tmp`);
    writeFileSync(dead, "x");
    writeFileSync(live, "x");
    await (await FileAdapter.open(dir)).close();
    const names = readdirSync(join(dir, "wal"));
    expect(names).not.toContain(dead.split("/").pop());
    expect(names).toContain(live.split("/").pop());
  });

  it("a live holder makes a write wait, then fail with E_LOCK_TIMEOUT after lockTimeoutMs; nothing is written", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir, { lockTimeoutMs: 300 });
    const lock = new StoreLock(new Layout(dir), { timeoutMs: 1000, staleMs: 5000 });
    await lock.acquire();
    const t0 = Date.now();
    const err = await a.transact((tx) => tx.put("x", "y", 1)).catch((e: unknown) => e);
    expect(isStatehouseError(err, "E_LOCK_TIMEOUT")).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await lock.release();
    expect(await a.get("x", "y")).toBeUndefined();
    await a.transact((tx) => tx.put("x", "y", 1));
    expect((await a.get("x", "y"))?.value).toBe(1);
    await a.close();
  });

  it("the lock directory and owner record are 0700 and 0600 under umask 022; the lock is gone after release, the record after dispose", async () => {
    const dir = fresh();
    const old = process.umask(0o022);
    try {
      const lock = new StoreLock(new Layout(dir), { timeoutMs: 1000, staleMs: 5000 });
      (await import("node:fs")).mkdirSync(dir, { mode: 0o700 });
      await lock.acquire();
      expect(statSync(join(dir, "lock")).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "lock", "owner")).mode & 0o777).toBe(0o600);
      // The owner record lives on (hard-linked into each acquisition) until the lock is disposed.
      const [record] = readdirSync(join(dir, "owners"));
      expect(statSync(join(dir, "owners")).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "owners", record!)).mode & 0o777).toBe(0o600);
      await lock.release();
      expect(readdirSync(dir)).toEqual(["owners"]);
      lock.dispose();
      expect(readdirSync(join(dir, "owners"))).toEqual([]);
    } finally {
      process.umask(old);
    }
  });

  it("lockLeaseMs: the writer keeps the lock briefly after a write, a waiting rival gets it when the lease ends, and it is gone when idle", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir, { lockLeaseMs: 200 });
    const b = await FileAdapter.open(dir, { lockTimeoutMs: 5_000 });
    await a.transact((tx) => tx.put("c", "k", 1));
    expect(readdirSync(dir)).toContain("lock");
    await a.transact((tx) => tx.put("c", "k", 2));
    // The rival queues; the lease ends at the latest when it expires, and the rival's write lands.
    await b.transact((tx) => tx.put("c", "k", 3));
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dir)).not.toContain("lock");
    expect((await a.get("c", "k"))?.value).toBe(3);
    expect(await a.sequence()).toBe(3);
    await a.close();
    await b.close();
    expect(readdirSync(dir)).not.toContain("lock");
  });

  it("relaxed durability stores and reads back the same way", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir, { durability: "relaxed", foldEvery: 3 });
    expect(a.durability).toBe("relaxed");
    for (let i = 0; i < 10; i++) await a.transact((tx) => tx.put("c", `k${i}`, { i }));
    await a.close();
    const b = await FileAdapter.open(dir);
    expect(await b.count("c")).toBe(10);
    expect((await b.check()).ok).toBe(true);
    await b.close();
  });

  it("a torn file at a commit's name is reported, never skipped; repair lets writes go on", async () => {
    const dir = fresh();
    const a = await FileAdapter.open(dir);
    await a.transact((tx) => tx.put("c", "k", 1));
    // An empty file at the next commit's name (a crashed foreign tool): reads report it as a corrupt
    // commit rather than skip it; repair replaces it by an empty commit, and writes go on after it.
    closeSync(openSync(join(dir, "wal", "0000000000000002.json"), "w", 0o600));
    const err = await a.get("c", "k").catch((e: unknown) => e);
    expect(isStatehouseError(err, "E_CORRUPT")).toBe(true);
    const report = await a.check({ repair: true });
    expect(report.repaired.some((r) => r.includes("0000000000000002.json"))).toBe(true);
    await a.transact((tx) => tx.put("c", "k", 2));
    expect((await a.get("c", "k"))?.value).toBe(2);
    expect(await a.sequence()).toBe(3);
    await a.close();
  });
});
