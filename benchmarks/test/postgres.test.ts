import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir, runChild } from "@statehouse/conformance/testing";
import { type TestServer, findPostgresBinDir, startTestServer } from "@statehouse/adapter-postgres/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built harness, as `pnpm bench` runs it.
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

interface Row {
  key: string;
  op: string;
  adapter: string;
  status: string;
  reason?: string;
  floor?: string;
  ratio?: number;
  check?: { ok: boolean };
}

/** Runs the harness with `env` replacing the PostgreSQL variables; returns its results. */
async function bench(dir: string, args: string[], env: Record<string, string>): Promise<{ results: Row[]; code: number }> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const { STATEHOUSE_PG_URL: _a, STATEHOUSE_PG_BINDIR: _b, STATEHOUSE_BENCH_PG_URL: _c, ...rest } = process.env;
  const common = ["--quiet", "--no-history", "--time-ms", "20", "--out", out, "--store-dir", join(dir, "stores")];
  const r = await runChild(CLI, [...common, ...args], { env: { ...rest, ...env }, timeoutMs: 300_000 }).done;
  const code = r.code ?? -1;
  const run = JSON.parse(await readFile(join(out, "latest.json"), "utf8")) as { results: Row[] };
  return { results: run.results, code };
}

const binaries = findPostgresBinDir();

describe("benchmark harness on PostgreSQL", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir("bench-pg").dir;
  });
  afterAll(async () => {
    removeDir(dir);
  });

  it("skips every postgres row, with the reason, where no PostgreSQL binaries exist, and measures no pg floor", async () => {
    const empty = join(dir, "no-bin");
    mkdirSync(empty, { mode: 0o700 });
    const { results, code } = await bench(dir, ["--adapters", "postgres", "--scenarios", "floors,state-query,concurrency"], {
      STATEHOUSE_PG_BINDIR: empty,
    });
    expect(code).toBe(0);
    const pgRows = results.filter((r) => r.adapter === "postgres");
    // state-query once, concurrency at 1, 5 and 25 processes (quick profile).
    expect(pgRows.map((r) => r.op).sort()).toEqual(["concurrent-increment", "concurrent-increment", "concurrent-increment", "state-query"]);
    for (const r of pgRows) {
      expect(r.status).toBe("skipped");
      expect(r.reason).toMatch(/^no PostgreSQL server could be started: STATEHOUSE_PG_BINDIR=.* holds no initdb/);
    }
    expect(results.filter((r) => r.op.startsWith("floor:pg-"))).toEqual([]);
    expect(results.some((r) => r.op === "floor:sqlite-get" && r.status === "ok")).toBe(true);
  });

  const title = `with a server${binaries.reason === undefined ? "" : ` (skipped: ${binaries.reason})`}`;
  describe.skipIf(binaries.binDir === undefined)(title, () => {
    let server: TestServer;
    beforeAll(() => {
      server = startTestServer();
    });
    afterAll(() => {
      server?.stop();
    });

    it("on STATEHOUSE_PG_URL: measures the pg floors and the adapter against them, then drops every job's schema", async () => {
      const url = server.url("postgres");
      const { results, code } = await bench(dir, ["--adapters", "postgres", "--scenarios", "floors,state-query,state-update"], {
        STATEHOUSE_PG_URL: url,
      });
      expect(results.filter((r) => r.status !== "ok").map((r) => `${r.key}: ${r.reason}`)).toEqual([]);
      expect(code).toBe(0);
      for (const bytes of [1024, 102_400, 1_048_576]) {
        // The goal's floors, and the second, labelled commit floor with a document write's history rows.
        for (const f of ["pg-select", "pg-commit-strict", "pg-commit-relaxed", "pg-commit-history-strict", "pg-commit-history-relaxed"]) {
          expect(
            results.some((r) => r.key === `floor·-·floor:${f}·bytes=${bytes}` && r.status === "ok"),
            `${f} at ${bytes}`,
          ).toBe(true);
        }
      }
      const byKey = new Map(results.map((r) => [r.key, r]));
      const query = byKey.get("postgres·strict·state-query·")!;
      expect(query.floor).toBe("floor·-·floor:pg-select·bytes=1024");
      expect(query.ratio).toBeGreaterThan(0);
      expect(query.check?.ok).toBe(true);
      expect(byKey.get("postgres·strict·state-update·")?.floor).toBe("floor·-·floor:pg-commit-strict·bytes=1024");
      expect(byKey.get("postgres·relaxed·state-update·")?.floor).toBe("floor·-·floor:pg-commit-relaxed·bytes=1024");
      expect(byKey.get("postgres·relaxed·state-update·")?.check?.ok).toBe(true);

      const client = new pg.Client({ host: server.socketDir, port: server.port, user: "postgres", database: "postgres" });
      client.on("error", () => undefined);
      await client.connect();
      try {
        const left = await client.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'");
        expect(left.rows).toEqual([]);
      } finally {
        await client.end();
      }
    });

    it("without STATEHOUSE_PG_URL: starts a throwaway server for the run and runs the postgres rows on it", async () => {
      const { results, code } = await bench(dir, ["--adapters", "postgres", "--scenarios", "session-list"], {});
      expect(results.map((r) => [r.key, r.status, r.reason])).toEqual([["postgres·strict·session-list·", "ok", undefined]]);
      expect(code).toBe(0);
    });
  });
});
