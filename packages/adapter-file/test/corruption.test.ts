import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { FileAdapter } from "@statehouse/adapter-file";
import { type StatehouseError, isStatehouseError } from "@statehouse/core";
import { TORTURE, seededRandom } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "./helpers.js";

type Kind = "store-marker" | "segment" | "segment-copy" | "commit" | "folded-commit" | "history";
const KINDS: Kind[] = ["store-marker", "segment", "segment-copy", "commit", "folded-commit", "history"];
const MUTATIONS = ["truncate", "flip", "zero"] as const;
/** TESTPLAN: 100 mutations of each kind in full; fewer in quick. */
const PER_MUTATION = TORTURE ? 100 : 12;
const COLLECTIONS = ["sessions", "state", "tools", "tail"];

interface Expected {
  records: Map<string, { revision: number; value: unknown }>;
  sequence: number;
  tailIds: string[];
}

function files(root: string): string[] {
  return readdirSync(root, { recursive: true })
    .map((n) => join(root, String(n)))
    .filter((p) => statSync(p).isFile() && statSync(p).size > 0)
    .sort();
}

function kindOf(store: string, file: string, folded: number): Kind | undefined {
  const rel = relative(store, file);
  if (rel === "store.json") return "store-marker";
  if (/^data\/[^/]+\/[0-9a-f]{2}-\d{16}\.copy\.json$/.test(rel)) return "segment-copy";
  if (/^data\/[^/]+\/[0-9a-f]{2}-\d{16}\.json$/.test(rel)) return "segment";
  if (/^history\//.test(rel)) return "history";
  const m = /^wal\/(\d{16})\.json$/.exec(rel);
  if (m !== null) return Number(m[1]) > folded ? "commit" : "folded-commit";
  return undefined;
}

async function build(store: string): Promise<Expected> {
  const a = await FileAdapter.open(store, { foldEvery: 10_000 });
  for (let i = 0; i < 40; i++) {
    await a.transact((tx) => {
      tx.put(
        "sessions",
        `s${i}`,
        { name: `session ${i}`, status: i % 3 === 0 ? "done" : "active", n: i },
        { index: { status: i % 3 === 0 ? "done" : "active" } },
      );
      if (i % 8 === 0) tx.put("state", `doc${i}`, { counter: i, nested: { list: [1, 2, i] } });
    });
  }
  await a.transact((tx) => tx.put("tools", "grep", { description: "search", command: "rg" }));
  await a.compact();
  for (let i = 0; i < 10; i++)
    await a.transact((tx) =>
      tx.put("sessions", `s${i}`, { name: `session ${i}`, status: "done", n: i + 100 }, { index: { status: "done" } }),
    );
  await a.compact();
  // Unfolded commits, each writing one record of its own, so the loss of one is exactly one record.
  const tailIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    await a.transact((tx) => tx.put("tail", `t${i}`, { i }));
    tailIds.push(`t${i}`);
  }
  const records = new Map<string, { revision: number; value: unknown }>();
  for (const c of COLLECTIONS) {
    for (const r of (await a.list(c, { limit: 10_000 })).records) records.set(`${c}/${r.id}`, { revision: r.revision, value: r.value });
  }
  const sequence = await a.sequence();
  await a.close();
  return { records, sequence, tailIds };
}

function mutate(file: string, how: (typeof MUTATIONS)[number], rnd: () => number): void {
  const buf = readFileSync(file);
  if (how === "truncate") {
    writeFileSync(file, buf.subarray(0, Math.floor(rnd() * buf.length)));
  } else if (how === "flip") {
    const flips = 1 + Math.floor(rnd() * 3);
    for (let i = 0; i < flips; i++) buf[Math.floor(rnd() * buf.length)]! ^= 1 + Math.floor(rnd() * 255);
    writeFileSync(file, buf);
  } else {
    const whole = rnd() < 0.3;
    const start = whole ? 0 : Math.floor(rnd() * buf.length);
    const end = whole ? buf.length : Math.min(buf.length, start + 1 + Math.floor(rnd() * 64));
    buf.fill(0, start, end);
    writeFileSync(file, buf);
  }
}

interface Pass {
  errors: unknown[];
  /** Records read without error that differ from what was written: a silent corruption or loss. */
  wrong: string[];
}

async function readEverything(a: FileAdapter, expected: Expected, lost: Set<string>): Promise<Pass> {
  const errors: unknown[] = [];
  const wrong: string[] = [];
  const failed = Symbol("failed");
  const attempt = async <T>(fn: () => Promise<T>): Promise<T | typeof failed> => {
    try {
      return await fn();
    } catch (err) {
      errors.push(err);
      return failed;
    }
  };
  for (const [key, want] of expected.records) {
    const [c, id] = key.split("/") as [string, string];
    const got = await attempt(() => a.get(c, id));
    if (got === failed) continue;
    if (lost.has(key)) {
      if (got !== undefined) wrong.push(`${key} should be reported lost but reads ${JSON.stringify(got.value)}`);
      continue;
    }
    if (got === undefined || got.revision !== want.revision || JSON.stringify(got.value) !== JSON.stringify(want.value)) {
      wrong.push(`${key}: ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    }
  }
  for (const c of COLLECTIONS) {
    const page = await attempt(() => a.list(c, { limit: 10_000 }));
    if (page === failed) continue;
    const want = [...expected.records.keys()].filter((k) => k.startsWith(`${c}/`) && !lost.has(k)).length;
    if (page.records.length !== want) wrong.push(`${c} lists ${page.records.length} records instead of ${want}`);
  }
  const sets = await attempt(() => a.changes(0, 10_000));
  if (sets !== failed && sets.length > 0 && sets[sets.length - 1]!.sequence !== expected.sequence)
    wrong.push("changes() does not end at the sequence");
  return { errors, wrong };
}

function corruptNaming(errors: unknown[], file: string): StatehouseError | undefined {
  return errors.find((e): e is StatehouseError => isStatehouseError(e, "E_CORRUPT") && e.details.file === file) as
    | StatehouseError
    | undefined;
}

describe(`file adapter: corruption of every kind of store file (TESTPLAN; ${PER_MUTATION} × truncate, flip, zero-fill)`, () => {
  let root: string;
  let pristine: string;
  let expected: Expected;
  let folded: number;
  const seed = Number(process.env.STATEHOUSE_SEED ?? Date.now() % 100_000);

  beforeAll(async () => {
    root = tempDir("corrupt");
    pristine = join(root, "pristine");
    expected = await build(pristine);
    folded = Math.max(
      ...readdirSync(join(pristine, "wal"))
        .filter((n) => n.endsWith(".folded"))
        .map((n) => Number(n.slice(0, 16))),
    );
  });
  afterAll(() => removeDir(root));

  it("the fixture has every kind of file", () => {
    const kinds = new Set(files(pristine).map((f) => kindOf(pristine, f, folded)));
    for (const k of KINDS) expect(kinds.has(k), k).toBe(true);
  });

  it("every mutation is detected and named, recovery restores the last good copy, no crash, no silent reset", async () => {
    const rnd = seededRandom(seed);
    const failures: string[] = [];
    let cases = 0;
    let detected = 0;
    for (const how of MUTATIONS) {
      for (let i = 0; i < PER_MUTATION; i++) {
        const kind = KINDS[cases++ % KINDS.length]!;
        const work = join(root, `case-${cases}`);
        cpSync(pristine, work, { recursive: true });
        const candidates = files(work).filter((f) => kindOf(work, f, folded) === kind);
        const file = candidates[Math.floor(rnd() * candidates.length)]!;
        const label = `#${cases} ${how} ${relative(work, file)} (seed ${seed})`;
        mutate(file, how, rnd);
        const fail = (what: string) => failures.push(`${label}: ${what}`);
        try {
          const outcome = await runCase(work, file, kind, expected);
          if (outcome.detected) detected++;
          for (const f of outcome.failures) fail(f);
        } catch (err) {
          fail(`crashed: ${(err as Error).stack ?? String(err)}`);
        }
        removeDir(work);
      }
    }
    console.log(`[adapter-file] corruption: ${cases} mutations (seed ${seed}), ${detected} detected, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(detected).toBe(cases);
  });
});

async function runCase(store: string, file: string, kind: Kind, expected: Expected): Promise<{ detected: boolean; failures: string[] }> {
  const failures: string[] = [];
  const quarantinedExists = (e: StatehouseError | undefined) =>
    typeof e?.details.quarantined === "string" && existsSync(e.details.quarantined as string);
  const onlyCorrupt = (errors: unknown[], when: string) => {
    for (const e of errors) if (!isStatehouseError(e, "E_CORRUPT")) failures.push(`${when}: an error other than E_CORRUPT: ${String(e)}`);
  };
  let detected = false;

  let a: FileAdapter;
  try {
    a = await FileAdapter.open(store);
  } catch (err) {
    if (kind !== "store-marker" || !isStatehouseError(err, "E_CORRUPT") || err.details.file !== file || !quarantinedExists(err)) {
      return { detected, failures: [`open failed: ${String(err)}`] };
    }
    detected = true;
    a = await FileAdapter.open(store);
  }
  if (kind === "store-marker" && !detected) failures.push("opening the store did not report its corrupt marker file");
  const first = await readEverything(a, expected, new Set());
  onlyCorrupt(first.errors, "first read");
  const named = corruptNaming(first.errors, file);
  if (named !== undefined) {
    detected = true;
    if (!quarantinedExists(named)) failures.push(`E_CORRUPT names ${String(named.details.quarantined)}, which does not exist`);
  }

  if (kind === "segment") {
    if (named === undefined) failures.push("no E_CORRUPT named the corrupt data file");
    else if (named.details.recovered !== true) failures.push("the data file was not restored from its copy");
    // Restored from the identical copy: everything reads back exactly, with no repair needed.
    const again = await readEverything(a, expected, new Set());
    if (again.errors.length > 0 || again.wrong.length > 0)
      failures.push(`after restore: ${String(again.errors[0] ?? "")} ${again.wrong.join("; ")}`);
  } else if (kind === "commit" || kind === "history") {
    if (named === undefined) failures.push(`no E_CORRUPT named the corrupt ${kind} file`);
  } else if (kind === "segment-copy" || kind === "folded-commit") {
    // Never read on the way to a record: found by check().
    if (first.errors.length > 0) failures.push(`reads failed: ${String(first.errors[0])}`);
    const report = await a.check();
    if (report.ok || !report.problems.some((p) => p.startsWith(file)))
      failures.push(`check() did not report ${file}: ${JSON.stringify(report)}`);
    else detected = true;
  }
  if (kind !== "commit" && first.wrong.length > 0) failures.push(`silent damage: ${first.wrong.join("; ")}`);

  const repair = await a.check({ repair: true });
  const lost = new Set<string>();
  if (kind === "commit") {
    // A commit not yet folded has no copy: its writes are lost, and the repair report says so.
    const seq = Number(file.slice(-21, -5));
    const line = repair.repaired.find((r) => r.startsWith(file));
    if (line === undefined || !line.includes("lost")) failures.push(`repair did not report the lost commit: ${JSON.stringify(repair)}`);
    const tail = expected.tailIds[seq - (expected.sequence - expected.tailIds.length) - 1];
    if (tail !== undefined) lost.add(`tail/${tail}`);
  } else if (kind !== "store-marker" && kind !== "segment" && !repair.repaired.some((r) => r.startsWith(file))) {
    failures.push(`repair did not mention ${file}: ${JSON.stringify(repair)}`);
  }
  const after = await readEverything(a, expected, lost);
  if (kind === "history") {
    // The change sets of the corrupt history file are gone (reported); records are all intact.
    after.wrong = after.wrong.filter((w) => !w.startsWith("changes()"));
  }
  if (after.errors.length > 0 || after.wrong.length > 0)
    failures.push(`after repair: ${String(after.errors[0] ?? "")} ${after.wrong.join("; ")}`);
  const final = await a.check();
  if (!final.ok) failures.push(`check() after repair: ${final.problems.join("; ")}`);
  await a.close();
  return { detected, failures };
}
