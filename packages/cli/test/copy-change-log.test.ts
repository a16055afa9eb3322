import { createHash } from "node:crypto";
import { join } from "node:path";
import "@statehouse/cli";
import { type ChangeSet, open } from "@statehouse/core";
import { MAX_IMPORTED_SEQUENCE, openAdapterUrl } from "@statehouse/core/spi";
import { afterAll, describe, expect, it } from "vitest";
import { PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

/**
 * Issue 14, "Copying stores in O(records)": exports carry the change log's retained part, and
 * import and migrate write it into the copy with its sequences, so a watcher resuming from a
 * sequence of the source sees no reset against the copy, and the copy's next commit continues it.
 */
const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
function fresh(): string {
  const d = tempDir("cli-changelog");
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) cleanup(d);
});

/** Every change set of the store at `url` after `since`. */
async function changesOf(url: string, since = 0): Promise<{ sets: ChangeSet[]; sequence: number }> {
  const a = await openAdapterUrl(url);
  try {
    const sets: ChangeSet[] = [];
    for (;;) {
      const page = await a.changes(since, 1000);
      sets.push(...page);
      if (page.length < 1000) break;
      since = page.at(-1)!.sequence;
    }
    return { sets: sets.map((s) => ({ sequence: s.sequence, at: s.at, changes: [...s.changes] })), sequence: await a.sequence() };
  } finally {
    await a.close();
  }
}

/** `writes` commits (one change set each), then the log trimmed through `trim`. */
async function seed(url: string, writes: number, trim: number): Promise<void> {
  // In two halves, each compacted: the file adapter trims only whole folded history files.
  for (const [from, to] of [
    [1, Math.floor(writes / 2)],
    [Math.floor(writes / 2) + 1, writes],
  ] as const) {
    const store = await open(url);
    try {
      for (let i = from; i <= to; i++) await store.state(i % 3 === 0 ? "notes" : "global").set("/n", i);
    } finally {
      await store.close();
    }
    if (trim === 0) continue;
    const a = await openAdapterUrl(url);
    try {
      await a.compact?.();
      if (to === writes) await a.trimChanges?.(trim);
    } finally {
      await a.close();
    }
  }
}

/** An export's lines, parsed. */
function lines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A format 2 export with the given change set lines and a correct trailer (no records). */
function craftedExport(sets: readonly ChangeSet[], sequence = sets.at(-1)?.sequence ?? 0): string {
  const hash = createHash("sha256");
  const body = sets.map((s) => {
    const line = JSON.stringify({ sequence: s.sequence, at: s.at, changes: s.changes });
    hash.update(`${line}\n`);
    return line;
  });
  const header = { statehouse: "export", format: 2, source: "crafted", adapter: "none", sequence, exportedAt: new Date().toISOString() };
  const empty = createHash("sha256").digest("hex");
  const end = {
    statehouse: "end",
    records: 0,
    checksum: `sha256:${empty}`,
    changes: sets.length,
    changesChecksum: `sha256:${hash.digest("hex")}`,
  };
  return `${[JSON.stringify(header), ...body, JSON.stringify(end)].join("\n")}\n`;
}

describe("the change log travels with export, import and migrate", () => {
  it.each(PERSISTENT)(
    "$name: export carries the retained change sets; import keeps their sequences; the next commit continues; watch --since resumes without reset",
    async (a) => {
      const dir = fresh();
      const src = a.url(join(dir, "src"));
      await seed(src, 40, 20);
      const source = await changesOf(src);
      expect(source.sequence).toBe(40);
      expect(source.sets[0]!.sequence, "the log was trimmed: the export carries its retained part").toBeGreaterThan(1);
      const exp = await at(src)(["export"]);
      ok(exp);
      const parsed = lines(exp.stdout);
      expect(parsed[0]).toMatchObject({ statehouse: "export", format: 2, sequence: 40 });
      const changeLines = parsed.filter((l) => "sequence" in l && l.statehouse === undefined);
      expect(changeLines.map((l) => l.sequence)).toEqual(source.sets.map((s) => s.sequence));
      expect(parsed.at(-1)).toMatchObject({
        statehouse: "end",
        changes: source.sets.length,
        changesChecksum: expect.stringMatching(/^sha256:/),
      });

      const dst = a.url(join(dir, "dst"));
      const imp = await at(dst)(["--json", "import"], { input: exp.stdout });
      ok(imp);
      expect(json(imp)).toMatchObject({ verified: true, changes: source.sets.length });
      const copy = await changesOf(dst);
      expect(copy.sequence).toBe(40);
      expect(copy.sets, "changes(0) on the copy equals the source's").toEqual(source.sets);
      for (const since of [source.sets[0]!.sequence, 30, 39])
        expect((await changesOf(dst, since)).sets).toEqual((await changesOf(src, since)).sets);

      // A watcher resuming from sequence 30 of the source, against the copy: 31..40, then the next write (41).
      const watching = at(dst)(["--json", "watch", "--since", "30", "--count", "11", "--interval", "20"]);
      await new Promise((r) => setTimeout(r, 300));
      const write = await at(dst)(["--json", "state", "set", "/after", "1"]);
      ok(write);
      const w = await watching;
      ok(w);
      const events = lines(w.stdout);
      expect(events.map((e) => [e.type, e.sequence])).toEqual(Array.from({ length: 11 }, (_, k) => ["changes", 31 + k]));
      expect((await changesOf(dst)).sequence, "the next commit took the last imported sequence + 1").toBe(41);
    },
    120_000,
  );

  it("a format 1 export (no change log) still imports; the copy's log is then its own", async () => {
    const dir = fresh();
    const src = `sqlite:${join(dir, "src.db")}`;
    await seed(src, 6, 0);
    const exp = await at(src)(["export"]);
    ok(exp);
    const parsed = lines(exp.stdout);
    const records = parsed.filter((l) => "collection" in l);
    const trailer = parsed.at(-1)!;
    const v1 = [{ ...parsed[0], format: 1 }, ...records, { statehouse: "end", records: trailer.records, checksum: trailer.checksum }]
      .map((l) => JSON.stringify(l))
      .join("\n");
    const dst = `file:${join(dir, "dst")}`;
    const imp = await at(dst)(["--json", "import"], { input: `${v1}\n` });
    ok(imp);
    expect(json(imp)).toMatchObject({ verified: true, changes: 0, digest: { count: records.length } });
    const copy = await changesOf(dst);
    expect(copy.sequence, "one restore commit of its own").toBe(1);
  });

  it("crafted change logs: refused when malformed (exit 5, nothing written); a sequence near the highest imports in bounded time", async () => {
    const dir = fresh();
    const at0 = new Date().toISOString();
    const set = (sequence: number): ChangeSet => ({
      sequence,
      at: at0,
      changes: [{ type: "put", collection: "state", id: "global", revision: 1 }],
    });
    const cases: [string, string, string][] = [
      ["a gap", craftedExport([set(5), set(7)]), "must be consecutive"],
      ["beyond the highest sequence", craftedExport([set(MAX_IMPORTED_SEQUENCE + 1)]), "change set sequence must be an integer"],
      ["ends below the header's sequence", craftedExport([set(5)], 9), "the change log ends at sequence 5"],
      [
        "an unknown collection",
        craftedExport([{ ...set(3), changes: [{ type: "put", collection: "nope", id: "x", revision: 1 }] }]),
        "unknown collection",
      ],
      ["a wrong count", craftedExport([set(3)]).replace('"changes":1,', '"changes":2,'), "counts 2 change sets"],
    ];
    for (const [what, text, message] of cases) {
      const url = `sqlite:${join(dir, `${what.replace(/\W+/g, "-")}.db`)}`;
      const r = await at(url)(["import"], { input: text });
      expect(r.code, `${what}: ${show(r)}`).toBe(5);
      expect(r.stderr, what).toContain(message);
      const missing = await at(url)(["export"]);
      expect(missing.code, `${what}: nothing was created`).toBe(3);
    }
    for (const scheme of ["file", "sqlite", "lmdb"] as const) {
      const url = scheme === "sqlite" ? `sqlite:${join(dir, "far.db")}` : `${scheme}:${join(dir, `far-${scheme}`)}`;
      const started = Date.now();
      ok(await at(url)(["import"], { input: craftedExport([set(MAX_IMPORTED_SEQUENCE - 1), set(MAX_IMPORTED_SEQUENCE)]) }));
      ok(await at(url)(["state", "set", "/x", "1"]));
      const copy = await changesOf(url, MAX_IMPORTED_SEQUENCE - 2);
      expect(
        copy.sets.map((s) => s.sequence),
        scheme,
      ).toEqual([MAX_IMPORTED_SEQUENCE - 1, MAX_IMPORTED_SEQUENCE, MAX_IMPORTED_SEQUENCE + 1]);
      expect(Date.now() - started, `${scheme}: bounded`).toBeLessThan(30_000);
    }
  }, 120_000);

  it("an export with 200,000 change set lines is read in one pass: only the newest the adapter keeps are imported", async () => {
    const dir = fresh();
    const at0 = new Date().toISOString();
    const n = 200_000;
    const sets = Array.from({ length: n }, (_, i): ChangeSet => ({ sequence: i + 1, at: at0, changes: [] }));
    const url = `sqlite:${join(dir, "many.db")}`;
    const started = Date.now();
    const r = await at(url)(["--json", "import"], { input: craftedExport(sets) });
    ok(r);
    expect(json(r).changes, "the sqlite adapter's default retention").toBe(10_000);
    const copy = await changesOf(url, 0);
    expect(copy.sequence).toBe(n);
    expect(copy.sets[0]!.sequence).toBe(n - 10_000 + 1);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);
});
