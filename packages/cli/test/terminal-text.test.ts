import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

/**
 * Issue 12, "terminal injection": stored text holding escape sequences, C1 controls and newlines
 * goes through every human and --plain output path of the real CLI, and no control character of it
 * reaches the terminal; --json keeps the exact stored value.
 */
const TITLE = "\u001b]0;pwned\u0007"; // OSC: sets the window title
const CLEAR = "\u001b[2J"; // CSI: clears the screen
const C1 = "\u009b31m\u0085\u009d"; // C1 CSI, NEL, C1 OSC
const HOSTILE = `a${TITLE}b${CLEAR}c\nforged row\r${C1}\u007f\u202e!`;

/** Any C0 control but newline (line ends), DEL, C1, and the Unicode controls terminal-text.ts escapes. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The only escape sequences the CLI writes itself: colours (SGR). */
const OWN_SGR = /\u001b\[[0-9;]*m/g;

function expectSafe(r: Result, what: string, colour = false): void {
  expect(r.code, `${what}: ${show(r)}`).toBe(0);
  const text = colour ? r.stdout.replace(OWN_SGR, "") : r.stdout;
  const bad = CONTROL.exec(text);
  expect(bad, `${what} printed control character ${JSON.stringify(bad?.[0])} in:\n${JSON.stringify(r.stdout)}`).toBeNull();
  // The hostile text is shown, visibly escaped, not dropped: as `\x1b` in text, as `\u001b` in JSON.
  expect(r.stdout.includes("\\x1b]0;pwned\\x07") || r.stdout.includes("\\u001b]0;pwned\\u0007"), `${what}: ${r.stdout}`).toBe(true);
  // A newline in a stored value never makes a line of its own.
  expect(
    r.stdout.split("\n").some((l) => l.startsWith("forged row")),
    what,
  ).toBe(false);
}

describe("terminal-safe output of stored text", () => {
  let dir: string;
  let sh: ReturnType<typeof at>;
  beforeAll(async () => {
    dir = tempDir();
    sh = at(`file:${dir}/store`);
    const r = await sh(["batch"], {
      input: JSON.stringify([
        { op: "session.create", id: "s1", name: HOSTILE, metadata: { note: HOSTILE } },
        { op: "agent.spawn", sessionId: "s1", id: "ag1", role: HOSTILE, metadata: { note: HOSTILE } },
      ]),
    });
    expect(r.code, show(r)).toBe(0);
    const t = await sh(["tools", "register", "-"], { input: JSON.stringify({ name: "t1", description: HOSTILE, command: HOSTILE }) });
    expect(t.code, show(t)).toBe(0);
    const s = await sh(["state", "set", "--session", "s1", "/note", JSON.stringify(HOSTILE)]);
    expect(s.code, show(s)).toBe(0);
  });
  afterAll(() => cleanup(dir));

  const paths: [string, string[]][] = [
    ["session list", ["session", "list"]],
    ["session show", ["session", "show", "s1"]],
    ["agent list", ["agent", "list"]],
    ["agent show", ["agent", "show", "ag1"]],
    ["tools list", ["tools", "list"]],
    ["tools show", ["tools", "show", "t1"]],
    ["state get", ["state", "get", "--session", "s1"]],
    ["state get pointer", ["state", "get", "--session", "s1", "/note"]],
    ["dashboard --once", ["dashboard", "--once"]],
  ];

  it.each(paths)("%s: human output, no colour", async (what, args) => {
    expectSafe(await sh(args, { env: { NO_COLOR: "1" } }), what);
  });

  it.each(paths)("%s: human output with colour: only the CLI's own colour codes", async (what, args) => {
    const r = await sh(args, { env: { FORCE_COLOR: "1" } });
    expectSafe(r, what, true);
  });

  it.each(paths.filter(([w]) => w !== "dashboard --once"))("%s: --plain", async (what, args) => {
    const r = await sh(["--plain", ...args]);
    expect(r.code, show(r)).toBe(0);
    // A field line's one tab is its separator; no other control character may appear.
    const fields = what.endsWith("show") ? r.stdout.replace(/^([a-zA-Z]+)\t/gm, "$1 ") : r.stdout;
    expect(CONTROL.exec(fields), `${what}: ${JSON.stringify(r.stdout)}`).toBeNull();
    expect(
      r.stdout.split("\n").some((l) => l.startsWith("forged row")),
      what,
    ).toBe(false);
    // Field lines keep their tab separator: the value alone is escaped.
    if (what.endsWith("show")) expect(r.stdout).toMatch(/^[a-zA-Z]+\t/m);
  });

  it("--plain JSON values stay the same JSON value", async () => {
    const r = await sh(["--plain", "state", "get", "--session", "s1"]);
    expect(CONTROL.exec(r.stdout)).toBeNull();
    expect(JSON.parse(r.stdout)).toEqual({ note: HOSTILE });
  });

  it("--json is untouched: the exact stored value comes back", async () => {
    const s = json(await sh(["--json", "session", "show", "s1"]));
    expect(s.name).toBe(HOSTILE);
    const a = json(await sh(["--json", "agent", "show", "ag1"]));
    expect(a.role).toBe(HOSTILE);
    expect(a.metadata.note).toBe(HOSTILE);
    const t = json(await sh(["--json", "tools", "show", "t1"]));
    expect(t.description).toBe(HOSTILE);
  });
});
