import { describe, expect, it } from "vitest";
import { FLOWS, type Result, at, cleanup, json, show, step, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);

// One flow per adapter, the adapters concurrently: each flow's steps share its store and run in
// order (memory: runs only the first, single-command step: every process gets a new empty store).
describe.concurrent("state commands", () => {
  it.each(FLOWS)("on $label", async (adapter) => {
    const dir = tempDir();
    const sh = at(adapter.url(dir));
    try {
      await step("set and incr print their results in each mode", async () => {
        const set = await sh(["--json", "state", "set", "/a", '{"x": [1, 2]}']);
        ok(set);
        expect(json(set)).toEqual({ document: "global", pointer: "/a", revision: 1, sequence: expect.any(Number) });
        const human = await sh(["state", "set", "/b", '"text"', "--doc", "notes"]);
        ok(human);
        expect(human.stdout).toBe("set /b in notes (revision 1)\n");
        const plain = await sh(["--plain", "state", "incr", "/n", "-2.5", "--doc", "counters"]);
        ok(plain);
        expect(plain.stdout).toBe("-2.5\n");
      });

      if (adapter.persistent)
        await step("get: the whole document, a pointer, a JSONPath, in json, plain and human output", async () => {
          ok(await sh(["state", "merge", '{"phase": "review", "tasks": [{"t": "a", "done": true}, {"t": "b", "done": false}]}']));
          const [whole, pointer, path, plainPath, plainString, human, humanPath] = await Promise.all([
            sh(["--json", "state", "get"]),
            sh(["--json", "state", "get", "/a/x/1"]),
            sh(["--json", "state", "get", "$.tasks[?@.done == false].t"]),
            sh(["--plain", "state", "get", "$.tasks[*].t"]),
            sh(["--plain", "state", "get", "/phase"]),
            sh(["state", "get", "/a"]),
            sh(["state", "get", "$.tasks[0].done"]),
          ]);
          for (const r of [whole, pointer, path, plainPath, plainString, human, humanPath]) ok(r);
          expect(json(whole)).toEqual({
            document: "global",
            revision: 2,
            value: {
              a: { x: [1, 2] },
              phase: "review",
              tasks: [
                { t: "a", done: true },
                { t: "b", done: false },
              ],
            },
          });
          expect(json(pointer)).toEqual({ document: "global", pointer: "/a/x/1", value: 2 });
          expect(json(path)).toEqual({
            document: "global",
            query: "$.tasks[?@.done == false].t",
            value: ["b"],
            matches: [{ path: "$['tasks'][1]['t']", pointer: "/tasks/1/t" }],
          });
          expect(plainPath.stdout).toBe("a\nb\n");
          expect(plainString.stdout).toBe("review\n");
          expect(human.stdout).toBe('{\n  "x": [\n    1,\n    2\n  ]\n}\n');
          expect(humanPath.stdout).toBe("[\n  true\n]\n");
        });

      if (adapter.persistent)
        await step("incr is atomic arithmetic from 0 and prints the new value; del removes", async () => {
          const a = await sh(["state", "incr", "/calls"]);
          const b = await sh(["state", "incr", "/calls", "41"]);
          const c = await sh(["--json", "state", "incr", "/calls", "-2"]);
          ok(a);
          ok(b);
          ok(c);
          expect(a.stdout).toBe("1\n");
          expect(b.stdout).toBe("42\n");
          expect(json(c)).toMatchObject({ document: "global", pointer: "/calls", value: 40, revision: 5 });
          const del = await sh(["--plain", "state", "del", "/calls"]);
          ok(del);
          expect(del.stdout).toBe("6\n");
          const gone = await sh(["state", "get", "/calls"]);
          expect(gone.code).toBe(3);
          expect(gone.stderr).toContain('E_NOT_FOUND: nothing at "/calls" in state document "global"');
          const fallback = await sh(["--plain", "state", "get", "/calls", "--default", "0"]);
          ok(fallback);
          expect(fallback.stdout).toBe("0\n");
          const again = await sh(["state", "del", "/calls"]);
          expect(again.code).toBe(3);
        });

      if (adapter.persistent)
        await step("patch applies RFC 6902; a session's own document is separate", async () => {
          ok(
            await sh([
              "state",
              "patch",
              '[{"op": "add", "path": "/tags", "value": []}, {"op": "add", "path": "/tags/-", "value": "x"}, {"op": "copy", "from": "/phase", "path": "/was"}]',
            ]),
          );
          const r = await sh(["--json", "state", "get", "$['tags','was']"]);
          expect(json(r).value).toEqual([["x"], "review"]);
          const created = await sh(["--plain", "session", "create", "--id", "s-state"]);
          ok(created);
          ok(await sh(["state", "incr", "/toolCalls", "--session", "s-state"]));
          ok(await sh(["state", "incr", "/toolCalls", "--session", "s-state"]));
          const own = await sh(["--json", "state", "get", "--session", "s-state"]);
          expect(json(own)).toEqual({ document: "session:s-state", revision: 2, value: { toolCalls: 2 } });
          const global = await sh(["state", "get", "/toolCalls"]);
          expect(global.code).toBe(3);
        });

      if (adapter.persistent)
        await step("--if-revision: a stale revision is E_CONFLICT (4) with the current revision, and writes nothing", async () => {
          const before = json(await sh(["--json", "state", "get"]));
          const stale = await sh(["state", "set", "/phase", '"ship"', "--if-revision", String(before.revision - 1)]);
          expect(stale.code, show(stale)).toBe(4);
          expect(stale.stderr).toContain(`current revision: ${before.revision}`);
          const staleJson = await sh(["--json", "state", "incr", "/n", "--if-revision", "1"]);
          expect(staleJson.code).toBe(4);
          expect(JSON.parse(staleJson.stderr).error).toMatchObject({
            code: "E_CONFLICT",
            exitStatus: 4,
            details: { currentRevision: before.revision },
          });
          expect(json(await sh(["--json", "state", "get"]))).toEqual(before);
          const fresh = await sh(["--json", "state", "set", "/phase", '"ship"', "--if-revision", String(before.revision)]);
          ok(fresh);
          expect(json(fresh).revision).toBe(before.revision + 1);
          const absent = await sh(["state", "set", "/x", "1", "--doc", "fresh-doc", "--if-revision", "0"]);
          ok(absent);
          expect((await sh(["state", "set", "/x", "2", "--doc", "fresh-doc", "--if-revision", "0"])).code).toBe(4);
        });

      if (adapter.persistent)
        await step("a failing write changes nothing: bad patch, failed test op, bad value, non-number increment", async () => {
          const before = json(await sh(["--json", "state", "get"]));
          const failedTest = await sh([
            "state",
            "patch",
            '[{"op": "replace", "path": "/phase", "value": "x"}, {"op": "test", "path": "/phase", "value": "nope"}]',
          ]);
          expect(failedTest.code, show(failedTest)).toBe(4);
          const badOp = await sh([
            "state",
            "patch",
            '[{"op": "replace", "path": "/phase", "value": "x"}, {"op": "frobnicate", "path": "/a"}]',
          ]);
          expect(badOp.code, show(badOp)).toBe(5);
          const missingPath = await sh([
            "state",
            "patch",
            '[{"op": "replace", "path": "/phase", "value": "x"}, {"op": "remove", "path": "/no/such"}]',
          ]);
          expect([3, 7], show(missingPath)).toContain(missingPath.code);
          const deep = `${"[".repeat(70)}${"]".repeat(70)}`;
          const tooDeep = await sh(["state", "set", "/deep", deep]);
          expect(tooDeep.code, show(tooDeep)).toBe(5);
          const notNumber = await sh(["state", "incr", "/phase"]);
          expect(notNumber.code, show(notNumber)).toBe(5);
          const proto = await sh(["state", "set", "/__proto__/polluted", "1"]);
          expect(proto.code, show(proto)).toBe(7);
          expect(json(await sh(["--json", "state", "get"]))).toEqual(before);
        });
    } finally {
      cleanup(dir);
    }
  });
});
