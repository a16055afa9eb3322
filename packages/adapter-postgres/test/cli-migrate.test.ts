import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, runChild, tempDir } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, skipReason, withDatabase } from "./helpers.js";

// `statehouse migrate` between PostgreSQL and every other persistent adapter, both ways, through
// the real CLI binary: the copy is verified by the CLI and its export compared with the source's.
const BIN = fileURLToPath(new URL("../../cli/bin/statehouse.js", import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], input?: string): Promise<Result> {
  const r = await runChild(BIN, args, { cwd: tmpdir(), input: input ?? "" }).done;
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

const SEED = [
  { op: "session.create", id: "s-web-1", project: "web", name: "first" },
  { op: "session.create", id: "s-web-2", project: "web" },
  { op: "session.create", id: "s-api", project: "api" },
  { op: "agent.spawn", sessionId: "s-web-1", id: "a-1", role: "coder", pid: 10 },
  { op: "agent.spawn", sessionId: "s-api", id: "a-2", role: "reviewer" },
  { op: "state.set", pointer: "/phase", value: "plan" },
  { op: "state.set", doc: "notes", pointer: "/unicode", value: "é ✓ 𝄞 \u0000" },
  { op: "state.increment", session: "s-web-1", pointer: "/toolCalls" },
  { op: "config.set", project: "web", config: { maxConcurrentAgents: 3 } },
  { op: "tools.register", tool: { name: "lint", command: "pnpm lint" } },
];
const BUMP = [
  { op: "state.increment", pointer: "/runs" },
  { op: "session.end", id: "s-api", status: "completed" },
];

/** The records and change sets of an export without its header and trailer (which name the source). */
function records(exported: string): unknown[] {
  const lines = exported.trim().split("\n");
  return lines.slice(1, -1).map((l) => JSON.parse(l));
}

const OTHERS = [
  { name: "file", url: (dir: string) => `file:${dir}/store` },
  { name: "sqlite", url: (dir: string) => `sqlite:${dir}/store.db` },
  { name: "lmdb", url: (dir: string) => `lmdb:${dir}/env` },
];

const reason = skipReason();

describe.skipIf(reason !== undefined)("statehouse migrate between postgres and every other adapter", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  let source: string;
  let exported: string;
  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    dir = tempDir("pg-migrate").dir;
    source = withDatabase(db.url, db.name, { schema: "source" });
    for (const ops of [SEED, BUMP]) {
      const r = await cli(["--store", source, "batch"], JSON.stringify(ops));
      expect(r.code, r.stderr).toBe(0);
    }
    const e = await cli(["--store", source, "export"]);
    expect(e.code, e.stderr).toBe(0);
    exported = e.stdout;
    // 10 records of the batches, plus one project-agents record per project with an agent (the spawn limit's count),
    // plus history: one history-meta record per state document written (3) and global's revision 1 (1).
    // Then the change log: one change set per batch (2).
    expect(records(exported).length).toBe(16 + 2);
  });
  afterAll(async () => {
    removeDir(dir);
    await db?.drop();
  });

  it("file → sqlite → lmdb → postgres: the retained change log travels along, sequences kept, and the last copy continues it", async () => {
    const first = `file:${join(dir, "chain-file")}`;
    const INCREMENT = [{ op: "state.increment", pointer: "/runs" }];
    for (const ops of [SEED, BUMP, INCREMENT, INCREMENT]) {
      const r = await cli(["--store", first, "batch"], JSON.stringify(ops));
      expect(r.code, r.stderr).toBe(0);
    }
    const chain = [
      first,
      `sqlite:${join(dir, "chain.db")}`,
      `lmdb:${join(dir, "chain-env")}`,
      withDatabase(db.url, db.name, { schema: "chain" }),
    ];
    const changeLines = (text: string) =>
      text
        .trim()
        .split("\n")
        .filter((l) => l.startsWith('{"sequence":'));
    const e0 = await cli(["--store", first, "export"]);
    expect(e0.code, e0.stderr).toBe(0);
    expect(changeLines(e0.stdout)).toHaveLength(4);
    for (let i = 1; i < chain.length; i++) {
      const m = await cli(["--json", "--store", chain[i - 1]!, "migrate", "--to", chain[i]!]);
      expect(m.code, m.stderr).toBe(0);
      expect(JSON.parse(m.stdout)).toMatchObject({ verified: true, changes: 4 });
      const e = await cli(["--store", chain[i]!, "export"]);
      expect(e.code, e.stderr).toBe(0);
      expect(changeLines(e.stdout), chain[i]).toEqual(changeLines(e0.stdout));
      expect(JSON.parse(e.stdout.split("\n")[0]!)).toMatchObject({ sequence: 4 });
    }
    const next = await cli(["--json", "--store", chain.at(-1)!, "batch"], JSON.stringify(INCREMENT));
    expect(next.code, next.stderr).toBe(0);
    const after = await cli(["--store", chain.at(-1)!, "export"]);
    expect(changeLines(after.stdout).map((l) => JSON.parse(l).sequence)).toEqual([1, 2, 3, 4, 5]);
  });

  for (const other of OTHERS) {
    it(`postgres → ${other.name} → postgres: verified both ways, every record and revision kept`, async () => {
      const there = other.url(join(dir, other.name));
      const out = await cli(["--json", "--store", source, "migrate", "--to", there]);
      expect(out.code, out.stderr).toBe(0);
      expect(JSON.parse(out.stdout)).toMatchObject({ verified: true, digest: { count: 16 } });
      const back = withDatabase(db.url, db.name, { schema: `back_${other.name}` });
      const ret = await cli(["--json", "--store", there, "migrate", "--to", back]);
      expect(ret.code, ret.stderr).toBe(0);
      expect(JSON.parse(ret.stdout)).toMatchObject({ verified: true, digest: { count: 16 } });
      for (const url of [there, back]) {
        const e = await cli(["--store", url, "export"]);
        expect(e.code, e.stderr).toBe(0);
        expect(records(e.stdout), url).toEqual(records(exported));
      }
      // Index-backed listing works on the copy that came back.
      const web = await cli(["--plain", "--store", back, "session", "list", "--project", "web", "--asc"]);
      expect(web.stdout).toBe("s-web-1\ns-web-2\n");
    });
  }
});

if (reason !== undefined) {
  describe("statehouse migrate between postgres and every other adapter", () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
}
