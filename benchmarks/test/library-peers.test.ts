import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, runChild, tempDir } from "@statehouse/conformance/testing";
import { afterAll, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

interface Row {
  key: string;
  op: string;
  adapter: string;
  status: string;
  stats?: { median: number };
  check?: { ok: boolean };
}

describe("library peers (keyv with SQLite, lowdb) beside statehouse's whole-document rows", () => {
  const dir = tempDir("library-peers").dir;
  afterAll(() => removeDir(dir));

  it("measures each peer's get and set with checks, and the report compares them in one table", async () => {
    const out = join(dir, "reports");
    const { code, stdout, stderr } = await runChild(CLI, [
      "--adapters",
      "sqlite",
      "--scenarios",
      "doc-get,doc-set,library-peers",
      "--time-ms",
      "20",
      "--out",
      out,
      "--store-dir",
      join(dir, "stores"),
      "--no-history",
      "--quiet",
    ]).done;
    expect(code, stdout + stderr).toBe(0);
    const run = JSON.parse(await readFile(join(out, "latest.json"), "utf8")) as { results: Row[] };
    const peer = run.results.filter((r) => r.adapter === "peer");
    expect(peer.map((r) => r.op).sort()).toEqual(["keyv-sqlite-get", "keyv-sqlite-set", "lowdb-get", "lowdb-set"]);
    for (const r of peer) expect(r.status, r.key).toBe("ok");
    // The writes were read back: keyv through a get, lowdb from the file on disk.
    for (const op of ["keyv-sqlite-get", "keyv-sqlite-set", "lowdb-set"]) expect(peer.find((r) => r.op === op)?.check?.ok).toBe(true);
    const ours = run.results.filter((r) => r.adapter === "sqlite").map((r) => `${r.op} ${r.status}`);
    expect(ours.sort()).toEqual(["doc-get ok", "doc-set ok", "doc-set ok"]);

    const md = await readFile(join(out, "latest.md"), "utf8");
    const section = md.slice(md.indexOf("## In process: statehouse against the libraries users pick instead"));
    expect(section).toMatch(/\| get \| sqlite \(strict\) \| [\d.]+ (ns|µs|ms) \| [\d.]+ (ns|µs|ms) \| [\d.]+× \|/);
    expect(section).toMatch(/\| set \| sqlite \(relaxed\) \| [\d.]+ (ns|µs|ms) \|/);
  }, 120_000);
});
