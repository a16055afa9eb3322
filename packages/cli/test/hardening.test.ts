import { createHash } from "node:crypto";
import { existsSync, linkSync, mkdirSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { at, cleanup, cli, show, tempDir } from "./helpers.js";

const dirs: string[] = [];
function fresh(): string {
  const d = tempDir("cli-harden");
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) cleanup(d);
});

async function seeded(): Promise<{ dir: string; sh: ReturnType<typeof at> }> {
  const dir = fresh();
  const sh = at(`file:${dir}/store`);
  const r = await sh(["state", "set", "/a", '{"n":1}']);
  expect(r.code, show(r)).toBe(0);
  return { dir, sh };
}

describe("export writes a new file and renames it", () => {
  it("the previous backup's inode is never rewritten in place (a hard link to it keeps the old bytes)", async () => {
    const { dir, sh } = await seeded();
    const backup = join(dir, "backup.jsonl");
    writeFileSync(backup, "the previous backup\n", { mode: 0o600 });
    linkSync(backup, join(dir, "previous.jsonl"));
    const r = await sh(["export", "-o", backup]);
    expect(r.code, show(r)).toBe(0);
    expect(readFileSync(join(dir, "previous.jsonl"), "utf8")).toBe("the previous backup\n");
    expect(readFileSync(backup, "utf8")).toMatch(/^\{"statehouse":"export"/);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("a symlink at the output path is replaced, not followed: its target is unchanged", async () => {
    const { dir, sh } = await seeded();
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "do not touch\n");
    symlinkSync(victim, join(dir, "out.jsonl"));
    const r = await sh(["export", "-o", join(dir, "out.jsonl")]);
    expect(r.code, show(r)).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("do not touch\n");
    expect(lstatSync(join(dir, "out.jsonl")).isFile()).toBe(true);
  });

  it("export to stdout streams the same lines as export -o", async () => {
    const { dir, sh } = await seeded();
    const r = await sh(["export"]);
    expect(r.code, show(r)).toBe(0);
    await sh(["export", "-o", join(dir, "b.jsonl")]);
    const strip = (t: string) => t.replace(/"exportedAt":"[^"]+"/, "");
    expect(strip(r.stdout)).toBe(strip(readFileSync(join(dir, "b.jsonl"), "utf8")));
  });
});

/** An export file with a correct trailer (count and checksum), as `statehouse export` would write it. */
function exportText(records: { collection: string; id: string; revision: number; value: unknown }[]): string {
  const sha = createHash("sha256");
  for (const r of records) sha.update(`${r.collection}\u0000${r.id}\u0000${r.revision}\u0000${JSON.stringify(r.value)}\n`);
  const lines = [
    JSON.stringify({
      statehouse: "export",
      format: 1,
      source: "file:x",
      adapter: "file",
      sequence: 1,
      exportedAt: new Date().toISOString(),
    }),
    ...records.map((r) => JSON.stringify(r)),
    JSON.stringify({ statehouse: "end", records: records.length, checksum: `sha256:${sha.digest("hex")}` }),
  ];
  return `${lines.join("\n")}\n`;
}

describe("import takes one write per record, and refuses revisions out of range", () => {
  it("a counter at revision 5,000,000 and one at 10^12 import in one write each, well under a second", async () => {
    const dir = fresh();
    const file = join(dir, "high.jsonl");
    writeFileSync(
      file,
      exportText([
        { collection: "state", id: "counter", revision: 5_000_000, value: { n: 5_000_000 } },
        { collection: "state", id: "global", revision: 1e12, value: { n: 1 } },
      ]),
    );
    const sh = at(`file:${dir}/target`);
    const r = await sh(["--json", "import", file]);
    expect(r.code, show(r)).toBe(0);
    expect((JSON.parse(r.stdout) as { digest: { count: number } }).digest.count).toBe(2);
    const got = await sh(["--json", "state", "get", "--doc", "counter"]);
    expect(got.code, show(got)).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ revision: 5_000_000, value: { n: 5_000_000 } });
    const incr = await sh(["--json", "state", "incr", "/n", "--doc", "counter"]);
    expect(JSON.parse(incr.stdout)).toMatchObject({ value: 5_000_001, revision: 5_000_001 });
  }, 60_000);

  it("in process, on file:, sqlite: and lmdb:: parsing and restoring that export takes well under a second", async () => {
    const { registerCliAdapters } = await import("../src/adapters.js");
    const { parseExport } = await import("../src/store-io/export-format.js");
    const { restore } = await import("../src/store-io/restore.js");
    const { openAdapterUrl } = await import("@statehouse/core/spi");
    registerCliAdapters();
    const dir = fresh();
    const text = exportText([
      { collection: "state", id: "counter", revision: 5_000_000, value: { n: 5_000_000 } },
      { collection: "session-state", id: "s1", revision: 4_000_000, value: { calls: 1 } },
      {
        collection: "sessions",
        id: "s1",
        revision: 3,
        // Keys in sorted order: exportText checksums JSON.stringify of the value, the export format its canonical JSON.
        value: {
          agentCount: 0,
          createdAt: "2026-01-01T00:00:00.000Z",
          id: "s1",
          metadata: {},
          name: "s1",
          status: "active",
          updatedAt: "2026-01-01T00:00:00.000Z",
        },
      },
    ]);
    for (const url of [`file:${dir}/f`, `sqlite:${dir}/s.db`, `lmdb:${dir}/l`]) {
      // Timed after the adapter's module is loaded (its first open), which is not the copy's cost.
      await (await openAdapterUrl(url)).close();
      const t0 = performance.now();
      const { records } = parseExport(text);
      await restore(url, records);
      const ms = performance.now() - t0;
      console.log(`[import] ${url.split(":")[0]}: 3 records up to revision 5,000,000 restored in ${ms.toFixed(1)} ms`);
      expect(ms, url).toBeLessThan(1000);
      const a = await openAdapterUrl(url);
      expect((await a.get("state", "counter"))?.revision).toBe(5_000_000);
      expect((await a.get("session-state", "s1"))?.revision).toBe(4_000_000);
      await a.close();
    }
  }, 60_000);

  for (const bad of ["1e300", "-1", "0", "1.5", "9007199254740992"]) {
    it(`a crafted revision ${bad} is E_VALIDATION (exit 5) and nothing is written`, async () => {
      const dir = fresh();
      const file = join(dir, "absurd.jsonl");
      const good = JSON.stringify({ collection: "state", id: "a", revision: 1, value: { n: 1 } });
      const text = exportText([
        { collection: "state", id: "a", revision: 1, value: { n: 1 } },
        { collection: "state", id: "global", revision: 7, value: { n: 1 } },
      ]).replace('"revision":7', `"revision":${bad}`);
      expect(text).toContain(good);
      writeFileSync(file, text);
      const sh = at(`file:${dir}/target`);
      const r = await sh(["import", file]);
      expect(r.code, show(r)).toBe(5);
      expect(r.stderr).toMatch(/revision must be an integer from 1 to 9007199254740991/);
      const docs = await sh(["--json", "state", "docs"]);
      expect(docs.code, show(docs)).toBe(0);
      expect(JSON.parse(docs.stdout).items, "nothing written").toEqual([]);
    }, 60_000);
  }

  it("a sane revision still imports with its revision kept", async () => {
    const dir = fresh();
    const file = join(dir, "ok.jsonl");
    writeFileSync(file, exportText([{ collection: "state", id: "global", revision: 3, value: { n: 1 } }]));
    const sh = at(`file:${dir}/target`);
    const r = await sh(["import", file]);
    expect(r.code, show(r)).toBe(0);
    const got = await sh(["--json", "state", "get", "/n"]);
    expect(got.code, show(got)).toBe(0);
  });
});

describe("exit statuses agree with the README", () => {
  it("tools register with no name is E_VALIDATION (5), not E_INVALID_PATH (7)", async () => {
    const sh = at(`file:${fresh()}/store`);
    const r = await sh(["tools", "register", '{"nam":"x"}']);
    expect(r.code, show(r)).toBe(5);
    expect(r.stderr).toMatch(/needs a "name"/);
    const bad = await sh(["tools", "register", '{"name":"../x"}']);
    expect(bad.code, show(bad)).toBe(7);
  });

  it("a tool's inputSchema that is not a JSON Schema is refused (5) with its location; a valid one is kept", async () => {
    const sh = at(`file:${fresh()}/store`);
    for (const schema of [
      '{"type":"strin"}',
      '{"properties":{"a":{"type":7}}}',
      '{"required":"a"}',
      '{"pattern":"("}',
      "[1]",
      '{"anyOf":[]}',
    ]) {
      const r = await sh(["tools", "register", "t1", "--input-schema", schema]);
      expect(r.code, `${schema}\n${show(r)}`).toBe(5);
      expect(r.stderr).toMatch(/inputSchema/);
    }
    const ok = await sh([
      "tools",
      "register",
      "t1",
      "--input-schema",
      '{"type":"object","properties":{"q":{"type":"string","minLength":1}},"required":["q"]}',
    ]);
    expect(ok.code, show(ok)).toBe(0);
    const listed = await sh(["--plain", "tools", "list"]);
    expect(listed.stdout.trim()).toBe("t1");
  });

  it("a bad --status is a usage error (2), like a bad --limit, for sessions and agents", async () => {
    const sh = at(`file:${fresh()}/store`);
    for (const args of [
      ["session", "list", "--status", "bogus"],
      ["session", "end", "s1", "--status", "active"],
      ["agent", "list", "--status", "bogus"],
      ["agent", "spawn", "s1", "r", "--status", "bogus"],
      ["agent", "update", "a1", "--status", "bogus"],
      ["session", "list", "--limit", "0"],
    ]) {
      const r = await sh(args);
      expect(r.code, `${args.join(" ")}\n${show(r)}`).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
  });

  it("a failed JSON Patch test is E_CONFLICT (4), as the README documents", async () => {
    const sh = at(`file:${fresh()}/store`);
    await sh(["state", "set", "/a", "1"]);
    const r = await sh(["state", "patch", '[{"op":"test","path":"/a","value":2},{"op":"replace","path":"/a","value":3}]']);
    expect(r.code, show(r)).toBe(4);
    expect((await sh(["--plain", "state", "get", "/a"])).stdout.trim()).toBe("1");
  });

  it("an empty STATEHOUSE_STORE means the default store, not an error", async () => {
    const dir = fresh();
    const r = await cli(["state", "set", "/x", "1"], { cwd: dir, env: { STATEHOUSE_STORE: "" } });
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(join(dir, ".statehouse"))).toBe(true);
  });

  it("migrate --to memory: is refused (2) instead of reporting a verified copy that is then discarded", async () => {
    const { sh } = await seeded();
    const r = await sh(["migrate", "--to", "memory:"]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/discard/);
  });
});

describe("messages", () => {
  it("--if-revision abc names the bound instead of printing a literal …", async () => {
    const r = await at(`file:${fresh()}/store`)(["state", "set", "/a", "1", "--if-revision", "abc"]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).not.toMatch(/…/);
    expect(r.stderr).toMatch(/--if-revision must be an integer of at least 0, got "abc"/);
  });

  it("config validation lists each problem once", async () => {
    const { sh } = await seeded();
    const r = await sh(["config", "validate", "p", '{"maxConcurrentAgents":"x","heartbeatTimeoutSeconds":"y"}']);
    expect(r.code, show(r)).toBe(13);
    for (const field of ["maxConcurrentAgents", "heartbeatTimeoutSeconds"]) {
      expect(r.stderr.split(field).length - 1, r.stderr).toBe(1);
    }
  });

  it("migrate's usage shows --to as required", async () => {
    const r = await at(`file:${fresh()}/store`)(["migrate"]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/usage: statehouse migrate --to URL\n/);
  });

  it("--default with a JSONPath query is refused (2) rather than silently ignored", async () => {
    const { sh } = await seeded();
    const r = await sh(["state", "get", "$.missing", "--default", "1"]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/--default/);
    const pointer = await sh(["--plain", "state", "get", "/missing", "--default", "1"]);
    expect(pointer.stdout.trim()).toBe("1");
  });

  it("the session table shows a name equal to the id", async () => {
    const sh = at(`file:${fresh()}/store`);
    await sh(["session", "create", "--id", "sess-1", "--name", "sess-1"]);
    const r = await sh(["session", "list"]);
    expect(r.code, show(r)).toBe(0);
    const row = r.stdout.split("\n").find((l) => l.includes("sess-1"))!;
    expect(row.match(/sess-1/g)?.length, r.stdout).toBe(2);
  });
});

describe("reads never create a store", () => {
  const cases = [
    { name: "file", url: (d: string) => `file:${d}/typo-dir` },
    { name: "sqlite", url: (d: string) => `sqlite:${d}/typo.db` },
    { name: "lmdb", url: (d: string) => `lmdb:${d}/typo-env` },
  ];
  for (const c of cases) {
    it(`${c.name}: doctor, state get, session list, export of a missing store are E_NOT_FOUND (3) with a hint, and create nothing`, async () => {
      const dir = fresh();
      const sh = at(c.url(dir));
      for (const args of [["doctor"], ["state", "get"], ["session", "list"], ["tools", "list"], ["export"]]) {
        const r = await sh(args);
        expect(r.code, `${args.join(" ")}\n${show(r)}`).toBe(3);
        expect(r.stderr).toMatch(/no (file|sqlite|lmdb) store at .*a write creates it/);
        expect(readdirSync(dir), args.join(" ")).toEqual([]);
      }
      // A write creates it; then reads work.
      const w = await sh(["state", "set", "/a", "1"]);
      expect(w.code, show(w)).toBe(0);
      const r = await sh(["--plain", "state", "get", "/a"]);
      expect(r.stdout.trim(), show(r)).toBe("1");
      expect((await sh(["doctor"])).code).toBe(0);
    });
  }

  it("the default store: a read in a directory with no .statehouse anywhere above creates nothing", async () => {
    const dir = fresh();
    const r = await cli(["session", "list"], { cwd: dir });
    expect(r.code, show(r)).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the default store is found upward from the working directory", () => {
  it("a command in a subdirectory uses the project's .statehouse, and doctor says which store and why", async () => {
    const project = fresh();
    const w = await cli(["state", "set", "/phase", '"plan"'], { cwd: project });
    expect(w.code, show(w)).toBe(0);
    const sub = join(project, "src", "deep");
    mkdirSync(sub, { recursive: true });
    const r = await cli(["--plain", "state", "get", "/phase"], { cwd: sub });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe("plan");
    // A write from the subdirectory lands in the same store, and creates no second one.
    const w2 = await cli(["state", "set", "/phase", '"build"'], { cwd: sub });
    expect(w2.code, show(w2)).toBe(0);
    expect(existsSync(join(sub, ".statehouse"))).toBe(false);
    expect((await cli(["--plain", "state", "get", "/phase"], { cwd: project })).stdout.trim()).toBe("build");
    const d = await cli(["--json", "doctor"], { cwd: sub });
    expect(d.code, show(d)).toBe(0);
    const report = JSON.parse(d.stdout);
    expect(report.store).toBe(`file:${join(project, ".statehouse")}`);
    expect(report.origin).toMatch(/searching upward/);
    const human = await cli(["doctor"], { cwd: sub });
    expect(human.stdout).toMatch(/why +default: the \.statehouse directory in .* found searching upward/);
    // --store and STATEHOUSE_STORE still win, and doctor says so.
    const viaEnv = await cli(["--json", "doctor"], { cwd: sub, env: { STATEHOUSE_STORE: `file:${join(project, ".statehouse")}` } });
    expect(JSON.parse(viaEnv.stdout).origin).toBe("STATEHOUSE_STORE");
  });
});
