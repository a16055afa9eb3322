import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { killChildren, runChild, tempDir } from "./helpers.js";

afterEach(killChildren);

const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

async function seeded(file: string): Promise<void> {
  const store = new SqliteAdapter(file);
  await store.transact((tx) => tx.put("docs", "a", { n: 1 }, { index: { tag: "x" } }));
  await store.close();
}

async function intact(file: string): Promise<void> {
  const store = new SqliteAdapter(file);
  expect(await store.get("docs", "a")).toMatchObject({ revision: 1, value: { n: 1 } });
  expect((await store.check()).ok).toBe(true);
  await store.close();
}

describe("sqlite adapter faults", () => {
  it("reports a full database (max_page_count) as E_STORAGE_FULL, stays intact, and writes again once space is freed", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      const store = new SqliteAdapter(file, { maxPageCount: 48 });
      const big = (i: number) => ({ i, pad: `${i}:`.padEnd(3000, "x") });
      let written = 0;
      let error: unknown;
      for (; written < 1000; written++) {
        try {
          await store.transact((tx) => tx.put("docs", `d${written}`, big(written), { index: { n: String(written) } }));
        } catch (err) {
          error = err;
          break;
        }
      }
      expect(error).toMatchObject({ code: "E_STORAGE_FULL" });
      expect(written).toBeGreaterThan(5);
      // The failed transaction left nothing behind; everything before it is there.
      expect(await store.get("docs", `d${written}`)).toBeUndefined();
      expect(await store.sequence()).toBe(written);
      expect(await store.count("docs")).toBe(written);
      expect(await store.count("docs", { index: "n" })).toBe(written);
      expect(await store.check()).toEqual({ ok: true, problems: [], repaired: [] });
      const raw = new Database(file, { readonly: true });
      expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
      raw.close();
      // Still full: the same error again, nothing changes.
      await expect(store.transact((tx) => tx.put("docs", "big", big(-1)))).rejects.toMatchObject({ code: "E_STORAGE_FULL" });
      // Free space; writing works again.
      await store.transact((tx) => {
        for (let i = 0; i < 6; i++) tx.delete("docs", `d${i}`);
      });
      await store.transact((tx) => tx.put("docs", "after", big(-2)));
      expect((await store.get("docs", "after"))?.value).toEqual(big(-2));
      expect((await store.check()).ok).toBe(true);
      await store.close();
    } finally {
      cleanup();
    }
  });

  for (const umask of ["022", "000"]) {
    it(`creates the database, -wal and -shm 0600 and its directories 0700 under umask ${umask}, also when -wal and -shm are created again`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const file = `${dir}/top/a/b/store.db`;
        const r = await runChild("modes.mjs", [file, dir], { timeoutMs: 30_000, wrap: ["sh", "-c", `umask ${umask} && exec "$0" "$@"`] })
          .done;
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as Record<string, Record<string, string>>;
        expect(out.umask).toBe(umask === "000" ? "0" : "22");
        const dirs = { top: "700", "top/a": "700", "top/a/b": "700" };
        expect(out.whileOpen).toEqual({ ...dirs, "top/a/b/store.db": "600", "top/a/b/store.db-wal": "600", "top/a/b/store.db-shm": "600" });
        expect(out.afterClose).toEqual({ ...dirs, "top/a/b/store.db": "600" });
        expect(out.reopened).toEqual(out.whileOpen);
      } finally {
        cleanup();
      }
    });
  }

  it("refuses an empty, a non-SQLite or a foreign SQLite file with E_CORRUPT and leaves it untouched", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const cases: Record<string, () => void> = {
        empty: () => writeFileSync(`${dir}/empty.db`, ""),
        text: () => writeFileSync(`${dir}/text.db`, "this is not a database\n".repeat(100)),
        short: () => writeFileSync(`${dir}/short.db`, "SQLite format 3\u0000"),
        foreign: () => {
          const db = new Database(`${dir}/foreign.db`);
          db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
          db.close();
        },
        tableless: () => {
          const db = new Database(`${dir}/tableless.db`);
          db.pragma("application_id = 1398032433");
          db.exec("CREATE TABLE t (x); DROP TABLE t;");
          db.close();
        },
      };
      for (const [name, make] of Object.entries(cases)) {
        make();
        const file = `${dir}/${name}.db`;
        const before = readFileSync(file);
        expect(() => new SqliteAdapter(file), name).toThrow(expect.objectContaining({ code: "E_CORRUPT" }));
        expect(readFileSync(file).equals(before), name).toBe(true);
      }
    } finally {
      cleanup();
    }
  });

  it("tells a damaged schema version (E_CORRUPT) from a store made by a newer adapter (E_CONFIG)", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/store.db`;
      await seeded(file);
      const setVersion = (v: number, extra?: string) => {
        const db = new Database(file);
        if (extra !== undefined) db.exec(extra);
        db.pragma(`user_version = ${v}`);
        db.close();
      };
      setVersion(3);
      expect(() => new SqliteAdapter(file)).toThrow(expect.objectContaining({ code: "E_CORRUPT" }));
      setVersion(1);
      expect(() => new SqliteAdapter(file)).toThrow(expect.objectContaining({ code: "E_CORRUPT" }));
      setVersion(2);
      await intact(file);
      setVersion(3, "CREATE TABLE added_in_v3 (x)");
      expect(() => new SqliteAdapter(file)).toThrow(expect.objectContaining({ code: "E_CONFIG" }));
    } finally {
      cleanup();
    }
  });

  it("gives E_PERMISSION, within 1 s, to a user who may not read or write the store, and the store stays intact", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const probe = async (file: string) => {
        const r = await runChild("perm-probe.mjs", [file], { timeoutMs: 30_000, wrap: NOBODY }).done;
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as Record<string, { code?: string; result?: unknown; ms: number }>;
      };
      const file = `${dir}/store.db`;
      await seeded(file);

      // The directory (0700, root's) cannot even be searched.
      let out = await probe(file);
      expect(out.open).toMatchObject({ code: "E_PERMISSION" });
      expect(out.open!.ms).toBeLessThan(1000);

      // Searchable directory, but the files are read-only (0444) and the directory is not
      // writable: opening or writing fails; nothing is written.
      chmodSync(dir, 0o755);
      chmodSync(file, 0o444);
      out = await probe(file);
      const failed = out.open?.code ?? out.write?.code;
      expect(failed).toBe("E_PERMISSION");
      for (const step of Object.values(out)) expect(step.ms).toBeLessThan(1000);
      if (out.read?.result !== undefined) expect(out.read.result).toEqual({ n: 1 });

      // A writable directory, the database file itself 0444: refused at open, and no -wal or
      // -shm owned by that user is left behind to lock the owner out later.
      chmodSync(dir, 0o777);
      out = await probe(file);
      expect(out.open).toMatchObject({ code: "E_PERMISSION" });
      expect(out.open!.ms).toBeLessThan(1000);
      expect(readdirSync(dir)).toEqual(["store.db"]);

      // Creating a new store where the user may not write.
      chmodSync(dir, 0o755);
      out = await probe(`${dir}/new/store.db`);
      expect(out.open).toMatchObject({ code: "E_PERMISSION" });

      chmodSync(dir, 0o700);
      chmodSync(file, 0o600);
      expect(statSync(`${dir}`).mode & 0o777).toBe(0o700);
      await intact(file);
    } finally {
      cleanup();
    }
  });
});
