import { createHash } from "node:crypto";
import { readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { evalChild, waitForLine } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGES, PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);

describe.each(PERSISTENT)("doctor on a sound $name store", (adapter) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => cleanup(dir));

  it("exits 0 and reports what it checked", async () => {
    const sh = at(adapter.url(dir));
    ok(
      await sh(["batch"], {
        input: JSON.stringify([
          { op: "session.create", id: "s" },
          { op: "agent.spawn", sessionId: "s", role: "r" },
          { op: "state.set", pointer: "/a", value: 1 },
        ]),
      }),
    );
    const r = await sh(["--json", "doctor"]);
    ok(r);
    const report = json(r);
    expect(report).toMatchObject({
      adapter: adapter.name,
      ok: true,
      problems: [],
      generic: { records: { sessions: 1, agents: 1, state: 1, tools: 0 }, sequence: 1, problems: [] },
    });
    const human = await sh(["doctor"]);
    ok(human);
    expect(human.stdout).toContain("the store is sound");
  });
});

describe.each(PERSISTENT)("doctor on a $name store whose change log was trimmed", (adapter) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => cleanup(dir));

  it("a retained log shorter than the 100 change sets doctor reads is not damage (exit 0, no problem)", async () => {
    const url = adapter.url(dir);
    const sh = at(url);
    // 150 commits, then retention keeps 20: the log starts at 131, which doctor once called a gap.
    const code = `import { open } from "@statehouse/core"; const s = await open(${JSON.stringify(url)}); for (let i = 0; i < 150; i++) await s.state("global").set("/n", i); await s.close();`;
    const writer = evalChild(code, [], { cwd: join(PACKAGES, "cli") });
    expect((await writer.done).code).toBe(0);
    ok(await sh(["config", "set", "default", JSON.stringify({ retention: { changeLogMaxEntries: 20 } })]));
    const gc = await sh(["--json", "gc"]);
    ok(gc);
    expect(json(gc).changeSets).toBeGreaterThan(100);
    const r = await sh(["--json", "doctor"]);
    ok(r);
    expect(json(r)).toMatchObject({ ok: true, problems: [], generic: { problems: [] } });
  });
});

describe.each(PERSISTENT)("doctor --compact on a $name store", (adapter) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => cleanup(dir));

  it("after many deletions: reports the bytes before and after, every remaining record intact", async () => {
    const sh = at(adapter.url(dir));
    const pad = "p".repeat(4000);
    const ids = Array.from({ length: 300 }, (_, i) => `s${i}`);
    ok(await sh(["batch"], { input: JSON.stringify(ids.map((id) => ({ op: "session.create", id, metadata: { pad } }))) }));
    ok(await sh(["batch"], { input: JSON.stringify(ids.slice(1).map((id) => ({ op: "session.delete", id }))) }));
    const r = await sh(["--json", "doctor", "--compact"]);
    ok(r);
    const report = json(r);
    expect(report).toMatchObject({ ok: true, problems: [], generic: { records: { sessions: 1 } } });
    expect(report.compacted.before, "bytes before").toBeGreaterThan(0);
    expect(report.compacted.after, "bytes after").toBeGreaterThan(0);
    // LMDB files never shrink by themselves: 300 × 4 KB written then deleted are only given back by compaction.
    if (adapter.name === "lmdb") expect(report.compacted.after).toBeLessThan(report.compacted.before / 2);
    const got = json(await sh(["--json", "session", "show", "s0"]));
    expect(got).toMatchObject({ id: "s0", metadata: { pad } });
    const human = await sh(["doctor", "--compact"]);
    ok(human);
    expect(human.stdout).toMatch(/compacted: .* → /);
  });
});

describe("doctor --compact on an lmdb store another process has open", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => cleanup(dir));

  it("is refused with E_LOCK_TIMEOUT (exit 8), the store untouched", async () => {
    const url = `lmdb:${dir}/env`;
    const sh = at(url);
    ok(await sh(["state", "set", "/a", "1"]));
    // Run from this package, so that @statehouse/core and the adapter resolve.
    const code = `import { open } from "@statehouse/core"; const s = await open(${JSON.stringify(url)}); await s.state("global").get(""); console.log("open"); setTimeout(() => s.close(), 20000);`;
    const holder = evalChild(code, [], { cwd: join(PACKAGES, "cli") });
    try {
      await waitForLine(holder.child, "open");
      const r = await sh(["--json", "doctor", "--compact"]);
      expect(r.code, show(r)).toBe(8);
      expect(r.stderr).toContain("E_LOCK_TIMEOUT");
    } finally {
      holder.child.kill("SIGKILL");
    }
    expect(json(await sh(["--json", "state", "get", "/a"]))).toMatchObject({ value: 1 });
  });
});

describe("doctor --compact on a store without compaction", () => {
  it("is E_CONFIG (exit 13) and names the adapter", async () => {
    const r = await at("memory:")(["--json", "doctor", "--compact"]);
    expect(r.code, show(r)).toBe(13);
    expect(r.stderr + r.stdout).toContain("cannot compact");
  });
});

/** An export by hand (the documented format): the CLI's import then makes many commits in one process. */
function handExport(records: { collection: string; id: string; revision: number; value: unknown }[]): string {
  const canon = (v: unknown): string =>
    v === null || typeof v !== "object"
      ? JSON.stringify(v)
      : Array.isArray(v)
        ? `[${v.map(canon).join(",")}]`
        : `{${Object.keys(v)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
  const h = createHash("sha256");
  for (const r of records) h.update(`${r.collection}\u0000${r.id}\u0000${r.revision}\u0000${canon(r.value)}\n`);
  return [
    JSON.stringify({ statehouse: "export", format: 1, source: "test", adapter: "none", sequence: 0, exportedAt: new Date().toISOString() }),
    ...records.map((r) => JSON.stringify(r)),
    JSON.stringify({ statehouse: "end", records: records.length, checksum: `sha256:${h.digest("hex")}` }),
  ].join("\n");
}

describe("doctor on a corrupted file store", () => {
  let dir: string;
  let sh: ReturnType<typeof at>;
  const value = { phase: "review", notes: "x".repeat(200) };
  beforeAll(async () => {
    dir = tempDir();
    sh = at(`file:${dir}/store`);
    // 32 commits make the file adapter fold them into a packed data file with its last good copy
    // (it folds every 32 commits by default): an import (one commit, whatever the revision) and 31 writes.
    ok(await sh(["import"], { input: handExport([{ collection: "state", id: "global", revision: 1, value }]) }));
    for (let i = 0; i < 31; i++) ok(await sh(["state", "merge", JSON.stringify({ phase: value.phase })]));
  }, 180_000);
  afterAll(() => cleanup(dir));

  it("a flipped byte in a data file: exit 9 naming it, nothing changed; --repair restores it from the last good copy", async () => {
    const dataDir = join(dir, "store", "data", "state");
    const primary = readdirSync(dataDir).filter((n) => /^[0-9a-f]{2}-\d+\.json$/.test(n));
    expect(primary.length, "a folded data file exists").toBeGreaterThan(0);
    const file = join(dataDir, primary[0]!);
    const bytes = readFileSync(file);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(file, bytes);

    const check = await sh(["--json", "doctor"]);
    expect(check.code, show(check)).toBe(9);
    const report = json(check);
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toContain(file);
    expect(JSON.parse(check.stderr).error).toMatchObject({ code: "E_CORRUPT", exitStatus: 9 });
    // A check without --repair leaves the store as it found it.
    expect(readFileSync(file)).toEqual(bytes);

    const repair = await sh(["--json", "doctor", "--repair"]);
    ok(repair);
    const fixed = json(repair);
    expect(fixed.ok).toBe(true);
    expect(fixed.found.join("\n")).toContain(file);
    expect(fixed.repaired.join("\n")).toMatch(/restored from its last good copy/);
    const got = await sh(["--json", "state", "get"]);
    ok(got);
    expect(json(got)).toEqual({ document: "global", revision: 32, value });
    ok(await sh(["doctor"]));
  });

  it("a truncated commit with no copy: exit 9; --repair says what was lost, never a silent reset", async () => {
    ok(await sh(["state", "set", "/late", "1"]));
    const walDir = join(dir, "store", "wal");
    const last = readdirSync(walDir)
      .filter((n) => /^\d+\.json$/.test(n))
      .sort()
      .at(-1)!;
    truncateSync(join(walDir, last), 10);
    const check = await sh(["doctor"]);
    expect(check.code, show(check)).toBe(9);
    expect(check.stdout).toContain(join(walDir, last));
    expect(check.stdout).toContain("the store has problems");
    const repair = await sh(["--json", "doctor", "--repair"]);
    ok(repair);
    expect(json(repair).repaired.join("\n")).toMatch(/lost/);
    const late = await sh(["state", "get", "/late"]);
    expect(late.code).toBe(3);
    const got = await sh(["--json", "state", "get"]);
    expect(json(got).value).toEqual(value);
    ok(await sh(["doctor"]));
  });
});
