import { createHash } from "node:crypto";
import { linkSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { at, cleanup, show, tempDir } from "./helpers.js";

const dirs: string[] = [];
function fresh(): string {
  const d = tempDir("statehouse-cli-harden-");
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
    JSON.stringify({ statehouse: "export", format: 1, source: "file:x", adapter: "file", sequence: 1, exportedAt: new Date().toISOString() }),
    ...records.map((r) => JSON.stringify(r)),
    JSON.stringify({ statehouse: "end", records: records.length, checksum: `sha256:${sha.digest("hex")}` }),
  ];
  return `${lines.join("\n")}\n`;
}

describe("import refuses absurd revisions", () => {
  it("a revision of 10^12 (a safe integer) is E_VALIDATION (exit 5) at once, not a trillion puts", async () => {
    const dir = fresh();
    const file = join(dir, "absurd.jsonl");
    writeFileSync(file, exportText([{ collection: "state", id: "global", revision: 1e12, value: { n: 1 } }]));
    const started = Date.now();
    const r = await at(`file:${dir}/target`)(["import", file]);
    expect(r.code, show(r)).toBe(5);
    expect(r.stderr).toMatch(/revision must be an integer from 1 to 1000000000/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

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
