import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type StoredRecord, isStatehouseError } from "@statehouse/core";
import { afterAll, afterEach, describe, expect, it, onTestFinished } from "vitest";
import { LmdbAdapter } from "@statehouse/adapter-lmdb";
import { killChildren, runChild, sized, tempDir, waitForLine } from "./helpers.js";

async function all(a: LmdbAdapter): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (let after: string | undefined; ; ) {
    const page = await a.list("docs", { limit: 1000, ...(after !== undefined && { after }) });
    out.push(...page.records);
    if (page.cursor === undefined) return out;
    after = page.cursor;
  }
}

const KILLED = sized(6, 100);

describe("compaction", () => {
  const { dir, cleanup } = tempDir();
  afterEach(killChildren);
  afterAll(cleanup);

  it("reclaims the space of deleted records; every record, index entry and the sequence survive", async () => {
    const path = join(dir, "env");
    const a = await LmdbAdapter.open(path);
    for (let b = 0; b < 40; b++) {
      await a.transact((tx) => {
        for (let i = 0; i < 50; i++)
          tx.put("docs", `d${b * 50 + i}`, { i: b * 50 + i, pad: "z".repeat(1000) }, { index: { mod: `${i % 7}` } });
      });
    }
    for (let b = 0; b < 40; b++) {
      await a.transact((tx) => {
        for (let i = 0; i < 50; i++) if ((b * 50 + i) % 20 !== 0) tx.delete("docs", `d${b * 50 + i}`);
      });
    }
    const before = statSync(join(path, "data.mdb")).size;
    const records = await all(a);
    const byIndex = await a.list("docs", { index: "mod", prefix: "3", limit: 10_000 });
    const seq = await a.sequence();
    await a.compact();
    const after = statSync(join(path, "data.mdb")).size;
    expect(after).toBeLessThan(before / 4);
    expect(await all(a)).toEqual(records);
    expect(await a.list("docs", { index: "mod", prefix: "3", limit: 10_000 })).toEqual(byIndex);
    expect(await a.sequence()).toBe(seq);
    expect(await a.check()).toEqual({ ok: true, problems: [], repaired: [] });
    await a.transact((tx) => tx.put("docs", "new", { ok: true }));
    expect(readdirSync(path).sort()).toEqual(["data.mdb", "lock.mdb", "mutex.mdb", "mutex.mdb-lock", "statehouse.json"]);
    expect(statSync(join(path, "data.mdb")).mode & 0o777).toBe(0o600);
    await a.close();
    const b = await LmdbAdapter.open(path);
    expect((await b.get("docs", "new"))?.value).toEqual({ ok: true });
    expect(await b.sequence()).toBe(seq + 1);
    await b.close();
  });

  it("is refused with E_LOCK_TIMEOUT while another process, or another adapter in this process, has the store open", async () => {
    const path = join(dir, "busy");
    const a = await LmdbAdapter.open(path);
    await a.transact((tx) => tx.put("docs", "x", { v: 1 }));
    const sibling = await LmdbAdapter.open(path);
    await expect(a.compact()).rejects.toSatisfy((e: unknown) => isStatehouseError(e, "E_LOCK_TIMEOUT"));
    await sibling.close();
    const holder = runChild("hold", { path });
    await waitForLine(holder.child, "ready");
    const err = await a.compact().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStatehouseError(err, "E_LOCK_TIMEOUT")).toBe(true);
    expect((err as Error).message).toContain(String(holder.child.pid));
    holder.child.kill("SIGKILL");
    await holder.done;
    // The killed holder's reader slot is cleared: now it goes through.
    await a.compact();
    expect((await a.get("docs", "x"))?.value).toEqual({ v: 1 });
    await a.close();
  });

  it(`${KILLED} compactions killed with SIGKILL at random points: every record intact, nothing left behind`, async () => {
    const path = join(dir, "killed");
    const a = await LmdbAdapter.open(path);
    for (let b = 0; b < 30; b++) {
      await a.transact((tx) => {
        for (let i = 0; i < 100; i++)
          tx.put("docs", `d${b * 100 + i}`, { i: b * 100 + i, pad: "q".repeat(300) }, { index: { m: `${i % 9}` } });
      });
    }
    const expected = await all(a);
    const seq = await a.sequence();
    await a.close();
    const outcomes = { done: 0, killed: 0 };
    for (let k = 0; k < KILLED; k++) {
      const c = runChild("compact", { path }, { timeoutMs: 60_000 });
      await waitForLine(c.child, "compacting");
      await new Promise((r) => setTimeout(r, Math.random() * 120));
      c.child.kill("SIGKILL");
      const r = await c.done;
      outcomes[r.stdout.includes("done") ? "done" : "killed"]++;
      const b = await LmdbAdapter.open(path, { lockTimeoutMs: 5000 });
      expect(await all(b)).toEqual(expected);
      expect(await b.sequence()).toBe(seq);
      expect(await b.check()).toEqual({ ok: true, problems: [], repaired: [] });
      await b.close();
      expect(readdirSync(path).sort()).toEqual(["data.mdb", "lock.mdb", "mutex.mdb", "mutex.mdb-lock", "statehouse.json"]);
    }
    console.log("[lmdb compaction kills]", JSON.stringify(outcomes));
  });

  it("what a compaction killed midway leaves behind (marker, temporary copy) is cleared at the next open", async () => {
    const path = join(dir, "stale");
    const a = await LmdbAdapter.open(path);
    await a.transact((tx) => tx.put("docs", "x", { v: 1 }));
    await a.close();
    // A compaction by a process that no longer exists: pid 2^22 + 1 is above Linux's pid_max.
    const ghost = 4_194_305;
    const { open } = await import("lmdb");
    const root = open({ path, overlappingSync: false, maxDbs: 8 });
    const meta = root.openDB({ name: "meta", encoding: "binary", keyEncoding: "binary" });
    root.transactionSync(() => {
      meta.put(Buffer.from("compacting"), Buffer.from(JSON.stringify({ pid: ghost })));
    });
    await root.close();
    mkdirSync(join(path, `.compact-${ghost}`), { mode: 0o700 });
    const b = await LmdbAdapter.open(path, { lockTimeoutMs: 2000 });
    expect((await b.get("docs", "x"))?.value).toEqual({ v: 1 });
    expect(existsSync(join(path, `.compact-${ghost}`))).toBe(false);
    await b.compact();
    await b.close();
  });
});

describe("compaction marker owner record", () => {
  it("a marker left before a reboot (another boot id) does not block opening, even when its pid is alive now", async () => {
    const { dir, cleanup } = tempDir();
    onTestFinished(cleanup);
    const path = join(dir, "store");
    const a = await LmdbAdapter.open(path);
    await a.transact((tx) => tx.put("docs", "x", { v: 1 }));
    await a.close();
    // The crashed compaction's pid has been reused since the reboot: pid 1 is alive on any Linux.
    const { open } = await import("lmdb");
    const root = open({ path, overlappingSync: false, maxDbs: 8 });
    const meta = root.openDB({ name: "meta", encoding: "binary", keyEncoding: "binary" });
    const before = {
      pid: 1,
      start: "1",
      boot: "00000000-0000-0000-0000-000000000000",
      host: hostname(),
      ns: readlinkSync("/proc/self/ns/pid"),
    };
    root.transactionSync(() => {
      meta.put(Buffer.from("compacting"), Buffer.from(JSON.stringify({ ...before, at: new Date().toISOString() })));
    });
    await root.close();
    const started = Date.now();
    const b = await LmdbAdapter.open(path, { lockTimeoutMs: 3000 });
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await b.get("docs", "x"))?.value).toEqual({ v: 1 });
    await b.close();
  });

  it("a marker of a live compaction in this boot still makes an open wait (E_LOCK_TIMEOUT past the timeout)", async () => {
    const { dir, cleanup } = tempDir();
    onTestFinished(cleanup);
    const path = join(dir, "store");
    const a = await LmdbAdapter.open(path);
    await a.close();
    const stat = readFileSync(`/proc/${process.ppid}/stat`, "latin1");
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    const { open } = await import("lmdb");
    const root = open({ path, overlappingSync: false, maxDbs: 8 });
    const meta = root.openDB({ name: "meta", encoding: "binary", keyEncoding: "binary" });
    const live = { pid: process.ppid, start, boot, host: hostname(), ns: readlinkSync("/proc/self/ns/pid") };
    root.transactionSync(() => {
      meta.put(Buffer.from("compacting"), Buffer.from(JSON.stringify(live)));
    });
    await root.close();
    const caught = await LmdbAdapter.open(path, { lockTimeoutMs: 500 }).then(
      (x) => x.close(),
      (err: unknown) => err,
    );
    expect(isStatehouseError(caught, "E_LOCK_TIMEOUT"), String(caught)).toBe(true);
  });
});
