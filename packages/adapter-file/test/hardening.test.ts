import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { FileAdapter } from "@statehouse/adapter-file";
import { runChild } from "@statehouse/conformance/testing";
import { type StatehouseError, isStatehouseError } from "@statehouse/core";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_DIR, removeDir, tempDir } from "./helpers.js";

const FOLD_FAULT = fileURLToPath(new URL("./fixtures/fold-fault.mjs", import.meta.url));
const LOOP_WRITER = fileURLToPath(new URL("./fixtures/loop-writer.mjs", import.meta.url));

const dirs: string[] = [];
function fresh(): string {
  const d = tempDir("harden");
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

/** A frame-checked file exactly as the adapter writes one (header with length and CRC-32, then lines). */
function framed(header: Record<string, unknown>, lines: string[]): Buffer {
  const body = Buffer.from(lines.length === 0 ? "" : `${lines.join("\n")}\n`, "utf8");
  const base = JSON.stringify({ ...header, bytes: body.length });
  const crc = crc32(body, crc32(Buffer.from(`${base}\n`, "utf8")))
    .toString(16)
    .padStart(8, "0");
  return Buffer.concat([Buffer.from(`${base.slice(0, -1)},"crc32":"${crc}"}\n`, "utf8"), body]);
}

describe("file adapter: files read from disk are not trusted", () => {
  it("a CRC-valid crafted commit naming a collection ../../x is E_CORRUPT, and no fold writes outside the store", async () => {
    const parent = fresh();
    const dir = join(parent, "a", "store");
    mkdirSync(dir, { recursive: true });
    const a = await FileAdapter.open(dir, { foldEvery: 1_000 });
    await a.transact((tx) => tx.put("items", "one", { n: 1 }));
    await a.close();
    const seq = 2;
    const line = `{"op":"put","collection":"../../escaped","id":"x","rev":1,"index":{},"value":{"evil":true}}`;
    writeFileSync(
      join(dir, "wal", `${String(seq).padStart(16, "0")}.json`),
      framed({ statehouse: "commit", format: 1, seq, at: new Date().toISOString(), writes: 1 }, [line]),
      { mode: 0o600 },
    );
    const b = await FileAdapter.open(dir, { foldEvery: 1 });
    let caught: unknown;
    try {
      await b.transact((tx) => tx.put("items", "two", { n: 2 }));
      await b.compact();
    } catch (err) {
      caught = err;
    }
    await b.close();
    expect(isStatehouseError(caught, "E_CORRUPT"), String(caught)).toBe(true);
    expect(existsSync(join(dirname(dir), "escaped"))).toBe(false);
    expect(readdirSync(join(parent, "a")).sort()).toEqual(["store"]);
  });
});

// An instrumented fs: the adapter's named imports of node:fs are live bindings that
// syncBuiltinESMExports() re-points at the patched functions, so every fsync the adapter makes is
// observed (and can be made to fail) in this process, with no change to the adapter.
const nodeFs = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
const realFsync = nodeFs.fsyncSync;
function hookFsync(onFsync: (path: string) => void): () => void {
  nodeFs.fsyncSync = (fd: number) => {
    let path = "";
    try {
      path = nodeFs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // not Linux: the path is unknown
    }
    onFsync(path);
    realFsync(fd);
  };
  syncBuiltinESMExports();
  return () => {
    nodeFs.fsyncSync = realFsync;
    syncBuiltinESMExports();
  };
}

describe("file adapter: strict durability makes every new directory's entry durable", () => {
  it("fsyncs the parent of every directory it creates: above the store root, the root, and data/ for a collection's first fold", async () => {
    const parent = fresh();
    const root = join(parent, "new", "store");
    const synced: string[] = [];
    const unhook = hookFsync((p) => synced.push(p));
    try {
      const a = await FileAdapter.open(root, { durability: "strict", foldEvery: 1_000 });
      expect(synced).toContain(parent);
      expect(synced).toContain(join(parent, "new"));
      expect(synced).toContain(root);
      // The root's fsync comes after its subdirectories exist.
      expect(synced.lastIndexOf(root)).toBeGreaterThan(synced.indexOf(join(parent, "new")));
      synced.length = 0;
      await a.transact((tx) => tx.put("things", "t1", { n: 1 }));
      await a.compact();
      await a.close();
      expect(synced).toContain(join(root, "data"));
      // ...before the fold's marker makes the fold count.
      expect(synced.indexOf(join(root, "data"))).toBeLessThan(synced.lastIndexOf(join(root, "wal")));
    } finally {
      unhook();
    }
  });

  it("relaxed durability makes no directory fsync", async () => {
    const root = join(fresh(), "r", "store");
    const synced: string[] = [];
    const unhook = hookFsync((p) => synced.push(p));
    try {
      const a = await FileAdapter.open(root, { durability: "relaxed", foldEvery: 1 });
      await a.transact((tx) => tx.put("things", "t1", { n: 1 }));
      await a.close();
    } finally {
      unhook();
    }
    expect(synced).toEqual([]);
  });
});

describe("file adapter: every failure is a StatehouseError", () => {
  it("a directory fsync failing after the commit is published says the write was applied (details.committed), and it was", async () => {
    const root = fresh();
    const a = await FileAdapter.open(root, { durability: "strict", foldEvery: 1_000 });
    await a.transact((tx) => tx.put("items", "before", { n: 0 }));
    const wal = join(root, "wal");
    const unhook = hookFsync((p) => {
      if (p === wal) throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO", errno: -5, syscall: "fsync" });
    });
    let caught: unknown;
    try {
      await a.transact((tx) => tx.put("items", "after", { n: 1 }));
    } catch (err) {
      caught = err;
    } finally {
      unhook();
    }
    expect(isStatehouseError(caught, "E_IO"), String(caught)).toBe(true);
    const err = caught as StatehouseError;
    expect(err.details).toMatchObject({ committed: true, sequence: 2 });
    expect(err.message).toMatch(/applied/);
    expect((await a.get("items", "after"))?.value).toEqual({ n: 1 });
    await a.close();
    const b = await FileAdapter.open(root);
    expect((await b.get("items", "after"))?.revision).toBe(1);
    await b.close();
  });

  it("quarantine's mkdir failing gives a typed error, not a raw EEXIST", async () => {
    const root = fresh();
    await (await FileAdapter.open(root)).close();
    writeFileSync(join(root, "store.json"), "garbage\n");
    writeFileSync(join(root, "quarantine"), "a file where the quarantine directory belongs");
    const caught = await FileAdapter.open(root).then(
      (a) => a.close(),
      (err: unknown) => err,
    );
    expect(isStatehouseError(caught), String(caught)).toBe(true);
  });

  it("quarantine's rename failing gives a typed error, not a raw EISDIR", async () => {
    const root = fresh();
    await (await FileAdapter.open(root)).close();
    const garbage = Buffer.from("garbage\n");
    writeFileSync(join(root, "store.json"), garbage);
    // The name the corrupt marker would be moved to is taken by a non-empty directory.
    const target = join(root, "quarantine", `store.json.${crc32(garbage).toString(16).padStart(8, "0")}.corrupt`);
    mkdirSync(join(target, "x"), { recursive: true });
    const caught = await FileAdapter.open(root).then(
      (a) => a.close(),
      (err: unknown) => err,
    );
    expect(isStatehouseError(caught), String(caught)).toBe(true);
  });

  it("a lock path that is not a directory ends in a typed error (the lock's stat of its owner record fails with ENOTDIR)", async () => {
    const root = fresh();
    const a = await FileAdapter.open(root, { lockTimeoutMs: 1_500 });
    writeFileSync(join(root, "lock"), "not a directory");
    const caught = await a
      .transact((tx) => tx.put("items", "x", { n: 1 }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await a.close();
    expect(isStatehouseError(caught), String(caught)).toBe(true);
  });
});

const SETPRIV = spawnSync("setpriv", ["--version"]).status === 0 && process.getuid?.() === 0;

describe("file adapter: a fold that keeps failing is surfaced, backed off and bounded", () => {
  it.skipIf(!SETPRIV)(
    "persistent EACCES under data/: counted, warned once, reported by check(), retried with back-off, writes refused past maxUnfolded, then recovered",
    async () => {
      const root = join(fresh(), "store");
      mkdirSync(root, { mode: 0o700 });
      chownSync(root, 65534, 65534);
      chownSync(dirname(root), 65534, 65534);
      const wrap = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
      const r = await runChild(FOLD_FAULT, [root, "300", "100"], { wrap, cwd: PACKAGE_DIR, timeoutMs: 120_000 }).done;
      expect(r.code, r.stderr).toBe(0);
      const out = r.json as any;
      // The first 100 or so commits are accepted (the log may hold maxUnfolded), the rest refused
      // with the fold's own typed error, not by growing wal/ without bound.
      expect(out.committed).toBeGreaterThanOrEqual(95);
      expect(out.committed).toBeLessThan(110);
      expect(out.codes).toEqual({ E_PERMISSION: 300 - out.committed });
      expect(out.refusal).toMatchObject({ code: "E_PERMISSION", reason: "fold-failing" });
      expect(out.refusal.message).toMatch(/not applied/);
      expect(out.walFilesDuring).toBeLessThanOrEqual(110);
      // Every write used to re-fold the whole log; with back-off, attempts are few (one per doubling
      // interval of 250 ms, plus one per refused write only once the back-off allows it).
      const budget = 3 + 2 * Math.ceil(Math.log2(out.elapsedMs / 250 + 2));
      expect(out.health.attempts, JSON.stringify(out.health)).toBeLessThanOrEqual(budget);
      expect(out.health.failures).toBe(out.health.attempts - 1);
      expect(out.health.fault).toEqual({ code: "E_PERMISSION", consecutive: out.health.failures });
      expect(out.warnings).toBe(1);
      expect(out.check.ok).toBe(false);
      expect(out.check.problems.join("\n")).toMatch(/folding fails .*E_PERMISSION/);
      // The fault cleared: one fold catches up, nothing acknowledged is lost.
      expect(out.healthAfter.fault).toBe(false);
      expect(out.checkAfter.ok).toBe(true);
      expect(out.count).toBe(1 + out.committed + 9);
      expect(out.walFilesAfter).toBeLessThanOrEqual(8);
    },
  );
});

describe("file adapter: check() and concurrent folds", () => {
  it("check() without repair reports no false problems while other processes write and fold", async () => {
    const root = fresh();
    await (await FileAdapter.open(root)).close();
    const children = ["w1", "w2"].map((name) => runChild(LOOP_WRITER, [root, name], { cwd: PACKAGE_DIR }).child);
    try {
      await Promise.all(children.map((c) => new Promise((resolve) => c.stdout!.once("data", resolve))));
      const a = await FileAdapter.open(root, { durability: "relaxed" });
      const problems: string[] = [];
      let checks = 0;
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        const report = await a.check();
        checks++;
        problems.push(...report.problems);
      }
      await a.close();
      expect(checks).toBeGreaterThan(3);
      expect(problems).toEqual([]);
    } finally {
      for (const c of children) c.kill("SIGKILL");
    }
  });
});
