import { killChildren, runChild } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ADAPTERS, BIN, at, cleanup, show, tempDir } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  killChildren();
  for (const d of dirs.splice(0)) cleanup(d);
});

function freshDir(): string {
  const d = tempDir("cli-watch");
  dirs.push(d);
  return d;
}

/** Starts `statehouse watch` as a long-running process; resolves its output lines and exit when it ends. */
function startWatch(url: string, args: readonly string[]) {
  const lines: string[] = [];
  const { child, done } = runChild(BIN, ["--store", url, ...args], { onLine: (l) => l.length > 0 && lines.push(l) });
  return { child, done, lines: () => lines };
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("statehouse watch", () => {
  for (const adapter of ADAPTERS.filter((a) => a.persistent)) {
    it(`${adapter.name}: --json prints one object per change set committed by other processes, in order, then exits after --count`, async () => {
      const url = adapter.url(freshDir());
      const sh = at(url);
      expect((await sh(["state", "set", "/a", "1"])).code).toBe(0);
      const w = startWatch(url, ["--json", "watch", "--since", "1", "--count", "3"]);
      // --since 1 makes the run deterministic however late the watcher starts; the pause makes the usual
      // case a live delivery rather than a replay.
      await new Promise((r) => setTimeout(r, 500));
      for (const args of [
        ["state", "set", "/a", "2"],
        ["session", "create", "--id", "s1"],
        ["state", "incr", "/n", "--session", "s1"],
      ]) {
        const r = await sh(args);
        expect(r.code, show(r)).toBe(0);
      }
      const r = await w.done;
      expect(r.code, r.stderr).toBe(0);
      const events = r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(
        events.map((e) => [e.type, e.sequence, e.changes.map((c: { collection: string; id: string }) => `${c.collection}/${c.id}`)]),
      ).toEqual([
        // A document's write carries its history's bookkeeping in the same change set (history.ts):
        // the previous revision kept, and the document's history index.
        ["changes", 2, ["state/global", "history/g.global@0000000000000001", "history-meta/g.global"]],
        ["changes", 3, ["sessions/s1"]],
        ["changes", 4, ["session-state/s1", "history-meta/s.s1"]],
      ]);
    }, 120_000);
  }

  it("--since 0 --plain replays the retained log; SIGINT ends a live watch with exit 0; bad options are usage errors", async () => {
    const url = ADAPTERS.find((a) => a.name === "sqlite")!.url(freshDir());
    const sh = at(url);
    await sh(["state", "set", "/a", "1"]);
    await sh(["state", "set", "/b", "1", "--doc", "other"]);
    const w = startWatch(url, ["--plain", "watch", "--since", "0", "--collections", "state"]);
    await until(() => w.lines().length >= 2);
    w.child.kill("SIGINT");
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
    expect(w.lines()).toEqual(["1\tput\tstate\tglobal\t1", "2\tput\tstate\tother\t1"]);
    const bad = await sh(["watch", "--since", "-1"]);
    expect(bad.code, show(bad)).toBe(2);
    const bad2 = await sh(["watch", "--collections", "a,,b"]);
    expect(bad2.code, show(bad2)).toBe(2);
  }, 120_000);
});
