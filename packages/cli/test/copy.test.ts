import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADAPTERS, type AdapterCase, PERSISTENT, type Result, at, cleanup, cli, json, pool, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);

/** The records of an export, without its header (which names the source) — parsed, so key order does not matter. */
function records(exported: string): unknown[] {
  const lines = exported.trim().split("\n");
  expect(JSON.parse(lines[0]!)).toMatchObject({ statehouse: "export", format: 2 });
  return lines.slice(1).map((l) => JSON.parse(l));
}

const SEED = [
  { op: "session.create", id: "s-web-1", project: "web", name: "first" },
  { op: "session.create", id: "s-web-2", project: "web" },
  { op: "session.create", id: "s-api", project: "api" },
  { op: "session.create", id: "s-plain" },
  { op: "agent.spawn", sessionId: "s-web-1", id: "a-1", role: "coder", pid: 10 },
  { op: "agent.spawn", sessionId: "s-web-1", id: "a-2", role: "reviewer" },
  { op: "agent.spawn", sessionId: "s-api", id: "a-3", role: "coder" },
  { op: "state.set", pointer: "/phase", value: "plan" },
  { op: "state.set", doc: "notes", pointer: "/unicode", value: "é ✓ 𝄞" },
  { op: "state.increment", session: "s-web-1", pointer: "/toolCalls" },
  { op: "config.set", project: "web", config: { maxConcurrentAgents: 3 } },
  { op: "tools.register", tool: { name: "lint", command: "pnpm lint" } },
  { op: "tools.register", tool: { name: "search", inputSchema: { type: "object" } } },
];
// Raise revisions past 1 (each batch is one transaction: +1 per record touched).
const BUMP = [
  { op: "state.increment", pointer: "/runs" },
  { op: "agent.heartbeat", id: "a-1" },
  { op: "state.increment", session: "s-web-1", pointer: "/toolCalls" },
];
const END = [
  { op: "session.end", id: "s-web-2", status: "failed" },
  { op: "session.end", id: "s-api", status: "completed" },
  { op: "agent.update", id: "a-3", status: "failed" },
];

interface Source {
  adapter: AdapterCase;
  dir: string;
  url: string;
  exported: string;
}

describe("export, import and migrate", () => {
  const sources = new Map<string, Source>();
  let scratch: string;

  beforeAll(async () => {
    scratch = tempDir();
    await pool(
      2,
      PERSISTENT.map((adapter) => async () => {
        const dir = tempDir();
        const url = adapter.url(dir);
        const sh = at(url);
        for (const ops of [SEED, BUMP, BUMP, END]) ok(await sh(["batch"], { input: JSON.stringify(ops) }));
        const exp = await sh(["export"]);
        ok(exp);
        sources.set(adapter.name, { adapter, dir, url, exported: exp.stdout });
      }),
    );
  });
  afterAll(() => {
    for (const s of sources.values()) cleanup(s.dir);
    cleanup(scratch);
  });

  it("export: every record of every collection with its revision, checksummed", () => {
    for (const s of sources.values()) {
      const lines = s.exported
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ statehouse: "export", format: 2, source: s.url, adapter: s.adapter.name, sequence: 4 });
      const body = lines.slice(1, -1).filter((r) => "collection" in r);
      expect(lines.at(-1)).toMatchObject({
        statehouse: "end",
        records: body.length,
        checksum: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
      const byKey = new Map(body.map((r) => [`${r.collection}/${r.id}`, r]));
      expect(byKey.get("state/global")).toMatchObject({ revision: 3, value: { phase: "plan", runs: 2 } });
      expect(byKey.get("session-state/s-web-1")).toMatchObject({ revision: 3, value: { toolCalls: 3 } });
      expect(byKey.get("agents/a-1")).toMatchObject({ revision: 3, value: { status: "running" } });
      expect(byKey.get("sessions/s-api")).toMatchObject({ revision: 2, value: { status: "completed" } });
      expect(byKey.get("state/notes")).toMatchObject({ revision: 1, value: { unicode: "é ✓ 𝄞" } });
      expect([...new Set(body.map((r) => r.collection))].sort()).toEqual([
        "agents",
        "config",
        "history",
        "history-meta",
        "project-agents",
        "session-state",
        "sessions",
        "state",
        "tools",
      ]);
      // History: the earlier revisions of global and s-web-1 (2 each) and one meta record per document (3).
      expect(body).toHaveLength(4 + 3 + 2 + 1 + 1 + 2 + 2 + 4 + 3);
      expect(byKey.get("history/g.global@0000000000000002")).toMatchObject({ value: { phase: "plan", runs: 1 } });
    }
    // Every adapter exports the same records (timestamps aside: the stores were filled at different times).
    const stamp = /"\d{4}-\d\d-\d\dT[\d:.]+Z"/g;
    const all = [...sources.values()].map((s) => s.exported.replace(stamp, '"T"').trim().split("\n").slice(1, -1));
    for (const r of all.slice(1)) expect(r).toEqual(all[0]);
  });

  it("export -o writes a 0600 file", async () => {
    const s = sources.get("file") ?? [...sources.values()][0]!;
    const file = join(scratch, "backup.jsonl");
    const r = await at(s.url)(["--json", "export", "-o", file]);
    ok(r);
    expect(json(r)).toMatchObject({ file, records: 22 }); // 13 domain records, the project-agents records of projects web and api, 7 of history
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(records(readFileSync(file, "utf8"))).toEqual(records(s.exported));
  });

  it("migrate between every pair of adapters: counts, checksums, revisions and indexes all kept", async () => {
    const pairs = PERSISTENT.flatMap((from) => PERSISTENT.map((to) => [from, to] as const));
    await pool(
      2,
      pairs.map(([from, to]) => async () => {
        const source = sources.get(from.name)!;
        const dir = tempDir();
        try {
          const url = to.url(dir);
          const m = await cli(["--json", "--store", source.url, "migrate", "--to", url]);
          ok(m);
          const report = json(m);
          expect(report).toMatchObject({ from: source.url, to: url, verified: true, digest: { count: 22 } });
          expect(report.digest.collections.sessions).toMatchObject({ count: 4 });
          const target = at(url);
          const [exp, dash, web, agents] = await Promise.all([
            target(["export"]),
            target(["--json", "dashboard", "--once"]),
            target(["--plain", "session", "list", "--project", "web", "--asc"]),
            target(["--plain", "agent", "list", "--session", "s-web-1"]),
          ]);
          ok(exp);
          expect(records(exp.stdout), `${from.name} → ${to.name}`).toEqual(records(source.exported));
          // Index-backed answers (counts by status, listings by project and session) work on the copy.
          const d = json(dash);
          expect(d.sessionsByStatus).toEqual({ active: 2, completed: 1, failed: 1, cancelled: 0 });
          expect(d.agentsByStatus).toMatchObject({ spawning: 1, running: 1, failed: 1 });
          expect(web.stdout).toBe("s-web-1\ns-web-2\n");
          expect(agents.stdout.trim().split("\n").sort()).toEqual(["a-1", "a-2"]);
        } finally {
          cleanup(dir);
        }
      }),
    );
  });

  it("import: an export into an empty store of each adapter, revisions kept and verified", async () => {
    const list = [...sources.values()];
    await pool(
      2,
      list.map((s, i) => async () => {
        const from = list[(i + 1) % list.length]!;
        const file = join(scratch, `from-${from.adapter.name}.jsonl`);
        writeFileSync(file, from.exported);
        const dir = tempDir();
        try {
          const target = at(s.adapter.url(dir));
          const r = await target(["--json", "import", file]);
          ok(r);
          expect(json(r)).toMatchObject({ verified: true, digest: { count: 22 } });
          const viaStdin = at(s.adapter.url(join(dir, "second")));
          ok(await viaStdin(["import"], { input: from.exported }));
          for (const t of [target, viaStdin]) {
            const exp = await t(["export"]);
            expect(records(exp.stdout)).toEqual(records(from.exported));
            // History came along: the earlier revisions read back and list as they did in the source.
            const [old, listed] = await Promise.all([
              t(["--json", "state", "get", "/runs", "--revision", "2"]),
              t(["--plain", "state", "history", "--session", "s-web-1"]),
            ]);
            expect(json(old)).toMatchObject({ revision: 2, value: 1 });
            expect(listed.stdout).toBe("3\n2\n1\n");
          }
        } finally {
          cleanup(dir);
        }
      }),
    );
  });

  it("refusals write nothing: a non-empty target, a truncated or edited export, a bad line", async () => {
    const s = [...sources.values()][0]!;
    const dir = tempDir();
    try {
      const target = at(s.adapter.url(dir));
      const lines = s.exported.trim().split("\n");
      const truncated = await target(["import"], { input: `${lines.slice(0, 5).join("\n")}\n` });
      expect(truncated.code, show(truncated)).toBe(5);
      expect(truncated.stderr).toContain("no end line: the export is truncated");
      const edited = await target(["import"], { input: s.exported.replace('"runs":2', '"runs":3') });
      expect(edited.code).toBe(5);
      expect(edited.stderr).toContain("checksum mismatch");
      const badJson = [...lines];
      badJson[3] = badJson[3]!.slice(0, -1);
      const broken = await target(["import"], { input: badJson.join("\n") });
      expect(broken.code).toBe(5);
      expect(broken.stderr).toContain("export line 4 is not valid JSON");
      const badRevision = await target(["import"], { input: s.exported.replace(/"revision":3/, '"revision":0') });
      expect(badRevision.code).toBe(5);
      // Nothing of the refused imports landed: not even the store was created (a read of it is
      // E_NOT_FOUND, exit 3, and creates nothing either).
      const missing = await target(["export"]);
      expect(missing.code, show(missing)).toBe(3);
      expect(missing.stdout).toBe("");
      // A non-empty target is refused by import and by migrate.
      ok(await target(["state", "set", "/x", "1"]));
      const full = await target(["import"], { input: s.exported });
      expect(full.code, show(full)).toBe(4);
      expect(full.stderr).toContain("is not empty");
      const mig = await at(s.url)(["migrate", "--to", s.adapter.url(dir)]);
      expect(mig.code).toBe(4);
      // Its two records (the document and its history meta), its one change set, the trailer.
      expect(records((await target(["export"])).stdout)).toHaveLength(4);
      const self = await at(s.url)(["migrate", "--to", s.url]);
      expect(self.code).toBe(2);
      const noTo = await at(s.url)(["migrate"]);
      expect(noTo.code).toBe(2);
      expect(noTo.stderr).toContain("migrate needs --to URL");
    } finally {
      cleanup(dir);
    }
  });

  it.each(ADAPTERS.filter((a) => !a.persistent))("migrate from $name: an empty store copies as empty", async (a) => {
    const dir = tempDir();
    try {
      const r = await cli(["--json", "--store", a.url(dir), "migrate", "--to", `file:${dir}/copy`]);
      ok(r);
      expect(json(r).digest.count).toBe(0);
    } finally {
      cleanup(dir);
    }
  });
});
