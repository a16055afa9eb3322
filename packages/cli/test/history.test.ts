import { afterAll, describe, expect, it } from "vitest";
import { type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) cleanup(d);
});

describe("state history, state get --revision, state diff", () => {
  it("list, read and diff the revisions of a named document and of a session's, through the CLI", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sh = at(`file:${dir}/store`);
    ok(await sh(["state", "set", "/phase", '"plan"']));
    ok(await sh(["state", "merge", '{"tasks": ["a"], "owner": "x"}']));
    ok(await sh(["state", "set", "/phase", '"review"']));

    const listed = await sh(["--json", "state", "history"]);
    ok(listed);
    const { document, entries } = json(listed);
    expect(document).toBe("global");
    expect(entries.map((e: { revision: number }) => e.revision)).toEqual([3, 2, 1]);
    expect(entries[2]).toEqual({ revision: 1, at: expect.any(String), size: JSON.stringify({ phase: "plan" }).length });
    const plain = await sh(["--plain", "state", "history", "--limit", "2"]);
    ok(plain);
    expect(plain.stdout).toBe("3\n2\n");
    const before = await sh(["--plain", "state", "history", "--before", "3"]);
    expect(before.stdout).toBe("2\n1\n");
    const table = await sh(["state", "history"]);
    ok(table);
    expect(table.stdout).toMatch(/REVISION.*TIME.*SIZE/);

    const [whole, pointer, path] = await Promise.all([
      sh(["--json", "state", "get", "--revision", "1"]),
      sh(["--plain", "state", "get", "/phase", "--revision", "1"]),
      sh(["--json", "state", "get", "$.tasks[*]", "--revision", "2"]),
    ]);
    for (const r of [whole, pointer, path]) ok(r);
    expect(json(whole)).toEqual({ document: "global", revision: 1, value: { phase: "plan" } });
    expect(pointer.stdout).toBe("plan\n");
    expect(json(path)).toMatchObject({ revision: 2, value: ["a"] });

    const diff = await sh(["--json", "state", "diff", "1", "3"]);
    ok(diff);
    expect(json(diff)).toEqual({
      document: "global",
      from: 1,
      to: 3,
      operations: [
        { op: "replace", path: "/phase", value: "review" },
        { op: "add", path: "/tasks", value: ["a"] },
        { op: "add", path: "/owner", value: "x" },
      ],
    });

    const [missing, notYet, badRevision, badDiff] = await Promise.all([
      sh(["state", "get", "--revision", "9"]),
      sh(["state", "diff", "1", "9"]),
      sh(["state", "get", "--revision", "0"]),
      sh(["state", "diff", "one", "2"]),
    ]);
    expect(missing.code, show(missing)).toBe(3);
    expect(missing.stderr).toContain("no revision 9 yet");
    expect(notYet.code, show(notYet)).toBe(3);
    expect(badRevision.code, show(badRevision)).toBe(2);
    expect(badDiff.code, show(badDiff)).toBe(2);

    const session = await sh(["--plain", "session", "create", "--id", "s1"]);
    ok(session);
    ok(await sh(["state", "incr", "/calls", "--session", "s1"]));
    ok(await sh(["state", "incr", "/calls", "--session", "s1"]));
    const own = await sh(["--plain", "state", "history", "--session", "s1"]);
    expect(own.stdout).toBe("2\n1\n");
    const ownDiff = await sh(["--json", "state", "diff", "1", "2", "--session", "s1"]);
    expect(json(ownDiff)).toMatchObject({ document: "session:s1", operations: [{ op: "replace", path: "/calls", value: 2 }] });
  }, 180_000);

  it("each command has its --help", async () => {
    const sh = at("memory:");
    const [history, get, diff] = await Promise.all([
      sh(["state", "history", "--help"]),
      sh(["state", "get", "--help"]),
      sh(["state", "diff", "--help"]),
    ]);
    for (const r of [history, get, diff]) ok(r);
    expect(history.stdout).toContain("--limit");
    expect(history.stdout).toContain("--before");
    expect(get.stdout).toContain("--revision");
    expect(diff.stdout).toMatch(/state diff .*A.*B/);
  }, 60_000);
});
