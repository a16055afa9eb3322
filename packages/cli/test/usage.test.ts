import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, json, show } from "./helpers.js";

const mem = (args: string[], input?: string, env?: Record<string, string | undefined>) =>
  cli(["--store", "memory:", ...args], { input, env });

// The command set of DESIGN.md's CLI section (plus `agent heartbeat`), spelled out here so that a
// command missing from the CLI fails this test.
const EXPECTED = [
  "state get",
  "state set",
  "state merge",
  "state patch",
  "state del",
  "state incr",
  "session create",
  "session list",
  "session show",
  "session end",
  "session rm",
  "agent spawn",
  "agent list",
  "agent show",
  "agent update",
  "agent heartbeat",
  "config get",
  "config set",
  "config validate",
  "tools register",
  "tools list",
  "tools show",
  "tools rm",
  "batch",
  "doctor",
  "export",
  "import",
  "migrate",
  "dashboard",
];

describe("help and version", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };
    const r = await cli(["--version"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(json(await cli(["--json", "-V"]))).toEqual({ version: pkg.version });
  });

  it("--help lists every command and the exit statuses", async () => {
    const r = await cli(["--help"]);
    expect(r.code, show(r)).toBe(0);
    for (const c of EXPECTED) expect(r.stdout).toContain(`  ${c} `);
    expect(r.stdout).toMatch(/exit status:[\s\S]*3 {2}E_NOT_FOUND[\s\S]*14 {2}E_IO/);
  });

  it("every command has --help with its usage and an example", async () => {
    const results = await Promise.all(EXPECTED.map((c) => cli([...c.split(" "), "--help"])));
    results.forEach((r, i) => {
      const c = EXPECTED[i]!;
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain(`usage: statehouse ${c}`);
      expect(r.stdout).toMatch(/examples?:\n {2}.*statehouse /);
    });
    const group = await cli(["session", "--help"]);
    expect(group.code).toBe(0);
    for (const c of EXPECTED.filter((x) => x.startsWith("session "))) expect(group.stdout).toContain(c);
  });
});

describe("usage errors: exit 2, the problem named, the right form shown", () => {
  it("unknown command, with a suggestion", async () => {
    const r = await cli(["sesion", "list"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('unknown command "sesion" (did you mean "session"?)');
    expect(r.stderr).toContain("usage: statehouse");
    const sub = await cli(["state", "gett"]);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown command "state gett" (did you mean "state get"?)');
    const none = await cli(["state"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('"state" needs a subcommand: get, set, merge, patch, del, incr');
  });

  it("unknown option", async () => {
    const r = await mem(["state", "get", "--dok", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --dok for "state get" (did you mean --doc?)');
    expect(r.stderr).toContain("usage: statehouse state get [QUERY] [--doc NAME] [--session ID]");
  });

  it("missing and extra arguments, missing option values", async () => {
    const missing = await mem(["state", "set", "/a"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing argument VALUE for "state set"');
    expect(missing.stderr).toContain("usage: statehouse state set POINTER VALUE");
    const extra = await mem(["session", "show", "a", "b"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('unexpected argument "b" for "session show"');
    const value = await mem(["state", "get", "--doc"]);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("option --doc needs a value");
  });

  it("conflicting and malformed options", async () => {
    expect((await mem(["--json", "--plain", "state", "get"])).code).toBe(2);
    const both = await mem(["state", "get", "--doc", "a", "--session", "b"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--doc and --session exclude each other");
    const rev = await mem(["state", "set", "/a", "1", "--if-revision", "x"]);
    expect(rev.code).toBe(2);
    expect(rev.stderr).toContain("--if-revision must be an integer");
    const by = await mem(["state", "incr", "/n", "two"]);
    expect(by.code).toBe(2);
    expect(by.stderr).toContain('BY must be a number, got "two"');
  });

  it("--json reports a usage error as a JSON object on stderr", async () => {
    const r = await mem(["--json", "state", "set", "/a"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const e = JSON.parse(r.stderr).error;
    expect(e).toMatchObject({
      code: "E_USAGE",
      exitStatus: 2,
      details: { usage: expect.stringContaining("statehouse state set POINTER VALUE") },
    });
  });
});

describe("bad input names where it broke", () => {
  it("bad JSON on the command line: line, column, offset and a caret", async () => {
    const r = await mem(["state", "set", "/a", '{"a": 1,}']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('VALUE is not valid JSON: unexpected "}"');
    expect(r.stderr).toContain("at line 1, column 9 (offset 8)");
    expect(r.stderr).toContain('  {"a": 1,}\n          ^');
    const word = await mem(["state", "set", "/a", "hello"]);
    expect(word.code).toBe(5);
    expect(word.stderr).toContain(`a string must be quoted as JSON: '"hello"'`);
  });

  it("bad JSON on stdin: the line and column of a multi-line text", async () => {
    const text = '{\n  "a": 1,\n  "b": tru\n}\n';
    const r = await mem(["--json", "state", "merge", "-"], text);
    expect(r.code).toBe(5);
    const e = JSON.parse(r.stderr).error;
    expect(e.code).toBe("E_VALIDATION");
    expect(e.details).toMatchObject({ input: "PATCH (stdin)", line: 3, column: 8, offset: text.indexOf("tru") });
    const batch = await mem(["batch"], "[1, 2");
    expect(batch.code).toBe(5);
    expect(batch.stderr).toContain("the text ends; expected ',' or ']' at line 1, column 6 (offset 5)");
  });

  it("a bad pointer is E_INVALID_PATH (7), a bad query E_INVALID_QUERY (6)", async () => {
    const pointer = await mem(["state", "set", "a/b", "1"]);
    expect(pointer.code, show(pointer)).toBe(7);
    expect(pointer.stderr).toContain("E_INVALID_PATH");
    const tilde = await mem(["state", "set", "/a~2", "1"]);
    expect(tilde.code, show(tilde)).toBe(7);
    const query = await mem(["state", "get", "$[?@.a =="]);
    expect(query.code, show(query)).toBe(6);
    expect(query.stderr).toContain("E_INVALID_QUERY");
    const neither = await mem(["state", "get", "a.b"]);
    expect(neither.code, show(neither)).toBe(6);
  });

  it("a missing input file is E_NOT_FOUND (3)", async () => {
    const r = await mem(["batch", "/nonexistent/ops.json"]);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain("no such file: /nonexistent/ops.json");
  });

  it("a bad store URL is E_CONFIG (13)", async () => {
    const r = await cli(["--store", "nope:x", "state", "get"]);
    expect(r.code).toBe(13);
    expect(r.stderr).toContain('unknown store scheme "nope:"');
    const bare = await cli(["--store", "/tmp/x", "state", "get"]);
    expect(bare.code).toBe(13);
  });
});

describe("colour", () => {
  const ESC = "\x1b[";
  it("is off on pipes and with NO_COLOR, on with FORCE_COLOR (which wins)", async () => {
    const args = ["session", "list"];
    const plain = await mem(args);
    const force = await mem(args, undefined, { FORCE_COLOR: "1" });
    const none = await mem(args, undefined, { NO_COLOR: "1" });
    const both = await mem(args, undefined, { FORCE_COLOR: "1", NO_COLOR: "1" });
    const zero = await mem(args, undefined, { FORCE_COLOR: "0" });
    expect(plain.stdout).not.toContain(ESC);
    expect(force.stdout).toContain(ESC);
    expect(none.stdout).not.toContain(ESC);
    expect(both.stdout).toContain(ESC);
    expect(zero.stdout).not.toContain(ESC);
    const err = await mem(["state", "get", "/x"], undefined, { FORCE_COLOR: "1" });
    expect(err.stderr).toContain(`${ESC}31mstatehouse:`);
  });
});

describe("exit statuses", () => {
  it("README documents the same table the CLI uses", async () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    const help = (await cli(["--help"])).stdout;
    const fromHelp = [...help.matchAll(/^ {2}( ?\d+) {2}(\S+)/gm)].map((m) => [Number(m[1]), m[2]!]);
    expect(fromHelp.length).toBe(16);
    for (const [status, name] of fromHelp) {
      const label = name === "ok" ? "ok" : name === "unexpected" ? "unexpected" : name === "usage" ? "E_USAGE" : name;
      expect(readme, `README row for ${status}`).toMatch(new RegExp(`\\|\\s*${status}\\s*\\|\\s*\`?${label}`));
    }
  });
});
