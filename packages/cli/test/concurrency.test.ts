import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERSISTENT, TORTURE, at, cleanup, json, show, tempDir } from "./helpers.js";

const PROCESSES = TORTURE ? 50 : 20;

describe.each(PERSISTENT)("concurrent state incr on $name", (adapter) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => cleanup(dir));

  it(`${PROCESSES} processes increment one counter: the exact count, every value printed once`, async () => {
    const sh = at(adapter.url(dir));
    // A session's state document exists only with its session.
    expect((await sh(["session", "create", "--id", "s1"])).code).toBe(0);
    // Started together: every process races for the same document.
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, () => sh(["--plain", "state", "incr", "/hooks", "--session", "s1"])),
    );
    for (const r of results) expect(r.code, show(r)).toBe(0);
    const printed = results.map((r) => Number(r.stdout.trim())).sort((a, b) => a - b);
    expect(printed).toEqual(Array.from({ length: PROCESSES }, (_, i) => i + 1));
    const final = await sh(["--json", "state", "get", "--session", "s1"]);
    expect(json(final)).toEqual({ document: "session:s1", revision: PROCESSES, value: { hooks: PROCESSES } });
  });
});
