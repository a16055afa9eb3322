import type { JsonValue } from "@statehouse/core";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { conflictRevision, errorKind, thrown, thrownKind } from "../util/errors.js";
import { nestedObjects } from "./values.js";

export function registerDomainState(s: SuiteContext): void {
  s.describeGroup("domain-state", "state documents: pointer, merge, patch, increment, revisions, conditions", [requires.domain], () => {
    s.clause("set / get / query / delete by JSON Pointer and JSONPath, one revision per write", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      const doc = store.state();
      expect(await doc.read(), "an absent document").toEqual({ value: undefined, revision: 0 });
      expect(await doc.get()).toBeUndefined();
      expect(await doc.query("$..*")).toEqual([]);
      const w1 = await doc.set("/a/b", 1);
      expect(w1.revision, "set creates the document at revision 1").toBe(1);
      expect(typeof w1.sequence, "a write reports its sequence number").toBe("number");
      expect(await doc.get(), "set creates missing intermediate objects").toEqual({ a: { b: 1 } });
      expect(await doc.get("/a/b")).toBe(1);
      expect(await doc.get("/a/missing")).toBeUndefined();
      expect(await doc.get("")).toEqual({ a: { b: 1 } });
      expect(await doc.get("$.a.b")).toEqual([1]);
      expect(await doc.query("$.a")).toEqual([{ path: "$['a']", pointer: "/a", value: { b: 1 } }]);
      expect((await doc.set("/list", [1, 2, 3])).revision).toBe(2);
      expect((await doc.set("/list/-", 4)).revision, "'-' appends").toBe(3);
      expect(await doc.get("/list")).toEqual([1, 2, 3, 4]);
      await doc.set("/esc~1aped~0key", "x");
      expect(await doc.get(), "~1 is / and ~0 is ~").toMatchObject({ "esc/aped~key": "x" });
      expect(await doc.get("$['esc/aped~key']")).toEqual(["x"]);
      await doc.set("/list/1", "two");
      expect(await doc.get("$.list[1]")).toEqual(["two"]);
      await doc.delete("/list/0");
      expect(await doc.get("/list")).toEqual(["two", 3, 4]);
      await doc.delete("/esc~1aped~0key");
      expect(await doc.read()).toEqual({ value: { a: { b: 1 }, list: ["two", 3, 4] }, revision: 7 });
      expect(await doc.revision()).toBe(7);
      expect(await thrownKind(() => doc.delete("/nope")), "deleting what is not there").toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.set("no-slash", 1)), "a pointer without a leading /").toBe("E_INVALID_PATH");
      expect(await thrownKind(() => doc.set("/a/b/c", 1)), "a pointer through a number").toBe("E_INVALID_PATH");
      expect(await thrownKind(() => doc.get("neither")), "a query that is neither $… nor /…").toBe("E_INVALID_QUERY");
      expect(await thrownKind(() => doc.query("$[")), "a JSONPath syntax error").toBe("E_INVALID_QUERY");
      expect(await thrownKind(() => doc.set("/x", undefined as unknown as JsonValue)), "a non-JSON value").toBe("E_VALIDATION");
      expect(await doc.revision(), "failed writes change nothing").toBe(7);
      // Another named document and a session's document are separate.
      await store.state("other").set("/z", 1);
      expect(await store.state("other").get()).toEqual({ z: 1 });
      expect(await doc.get("/z")).toBeUndefined();
      expect(await thrownKind(() => store.state("../etc")), "a document name that is not an id").toBe("E_INVALID_PATH");
    });

    s.clause("merge (RFC 7396), patch (RFC 6902, all or nothing), replace, increment", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      const doc = store.state("ops");
      await doc.replace({ a: { b: 1, c: 2 }, list: [1], n: 5 });
      await doc.merge({ a: { c: null, d: 3 }, list: null, added: "yes" });
      expect(await doc.get(), "null removes, objects merge").toEqual({ a: { b: 1, d: 3 }, n: 5, added: "yes" });
      await doc.merge({ a: [1, 2] });
      expect(await doc.get("/a"), "a non-object replaces").toEqual([1, 2]);
      const before = await doc.read();
      await doc.patch([
        { op: "add", path: "/p", value: { q: 1 } },
        { op: "test", path: "/n", value: 5 },
        { op: "copy", from: "/p", path: "/p2" },
        { op: "move", from: "/added", path: "/moved" },
        { op: "replace", path: "/n", value: 6 },
        { op: "remove", path: "/a/0" },
      ]);
      expect(await doc.get()).toEqual({ a: [2], n: 6, p: { q: 1 }, p2: { q: 1 }, moved: "yes" });
      expect(await doc.revision(), "a patch is one write").toBe(before.revision + 1);
      const rev = await doc.revision();
      expect(
        await thrownKind(() =>
          doc.patch([
            { op: "add", path: "/half", value: 1 },
            { op: "test", path: "/n", value: 999 },
          ]),
        ),
        "a failed test operation",
      ).toBe("E_CONFLICT");
      expect(await thrownKind(() => doc.patch([{ op: "remove", path: "/half" }])), "removing what is not there").toBe("E_NOT_FOUND");
      expect(await thrownKind(() => doc.patch([{ op: "frobnicate", path: "/x" }])), "an unknown operation").toBe("E_VALIDATION");
      expect(await thrownKind(() => doc.patch({ op: "add" } as unknown as JsonValue)), "a patch that is not an array").toBe("E_VALIDATION");
      expect(await doc.get("/half"), "no operation of a failed patch lands").toBeUndefined();
      expect(await doc.revision()).toBe(rev);
      const inc1 = await doc.increment("/count");
      expect(inc1.value, "a missing value counts as 0").toBe(1);
      expect((await doc.increment("/count", 5)).value).toBe(6);
      expect((await doc.increment("/count", -2.5)).value).toBe(3.5);
      expect((await doc.increment("/deep/er/count", 2)).value, "increment creates intermediate objects").toBe(2);
      expect(await thrownKind(() => doc.increment("/p")), "incrementing an object").toBe("E_VALIDATION");
      expect(await thrownKind(() => doc.increment("/count", Number.NaN)), "a NaN increment").toBe("E_VALIDATION");
      expect(await doc.get("/count")).toBe(3.5);
      const r = await doc.replace({ fresh: true });
      expect(await doc.read()).toEqual({ value: { fresh: true }, revision: r.revision });
    });

    s.clause("conditional writes: ifRevision / ifAbsent give E_CONFLICT with currentRevision; update(fn) retries", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      const doc = store.state("cond");
      await doc.replace({ v: 0 }, { ifAbsent: true });
      const err = await thrown(() => doc.replace({ v: 1 }, { ifAbsent: true }));
      expect(errorKind(err)).toBe("E_CONFLICT");
      expect(conflictRevision(err)).toBe(1);
      await doc.set("/v", 1, { ifRevision: 1 });
      for (const write of [
        () => doc.set("/v", 9, { ifRevision: 1 }),
        () => doc.merge({ v: 9 }, { ifRevision: 1 }),
        () => doc.patch([{ op: "replace", path: "/v", value: 9 }], { ifRevision: 1 }),
        () => doc.increment("/v", 1, { ifRevision: 1 }),
        () => doc.delete("/v", { ifRevision: 1 }),
      ]) {
        const e = await thrown(write);
        expect(errorKind(e)).toBe("E_CONFLICT");
        expect(conflictRevision(e)).toBe(2);
      }
      expect(await doc.read()).toEqual({ value: { v: 1 }, revision: 2 });
      // update(fn) re-reads and retries on conflict: 20 concurrent updates lose nothing.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          doc.update((cur) => {
            const v = (cur as { v: number }).v;
            return { v: v + 1 };
          }),
        ),
      );
      expect(await doc.get("/v")).toBe(21);
      expect(await doc.revision()).toBe(22);
      // Concurrent increments in one process lose nothing either.
      await Promise.all(Array.from({ length: 30 }, () => doc.increment("/n")));
      expect(await doc.get("/n")).toBe(30);
    });

    s.clause(
      "input limits through the domain: depth 65 and 5,000, size limit + 1 byte give E_VALIDATION and write nothing; depth 64 round-trips",
      async (scope) => {
        const { expect } = scope;
        const maxBytes = 4096;
        const store = await scope.openStore({ limits: { maxBytes } });
        const doc = store.state("limits");
        await doc.replace({ keep: true });
        const seq = await store.sequence();
        const attempts: Array<[string, () => Promise<unknown>]> = [
          ["replace, depth 65", () => doc.replace(nestedObjects(65))],
          ["replace, depth 5,000", () => doc.replace(nestedObjects(5_000))],
          ["set, depth 5,000", () => doc.set("/deep", nestedObjects(5_000))],
          ["set, depth 64 under the root (65 in all)", () => doc.set("/deep", nestedObjects(64))],
          ["merge, depth 5,000", () => doc.merge({ deep: nestedObjects(5_000) })],
          ["patch, depth 5,000", () => doc.patch([{ op: "add", path: "/deep", value: nestedObjects(5_000) }])],
          ["replace, limit + 1 byte", () => doc.replace("x".repeat(maxBytes - 1))],
          ["set, over the limit", () => doc.set("/big", "x".repeat(maxBytes))],
        ];
        for (const [what, attempt] of attempts) expect(await thrownKind(attempt), what).toBe("E_VALIDATION");
        expect(await doc.read(), "the document is unchanged").toEqual({ value: { keep: true }, revision: 1 });
        expect(await store.sequence()).toBe(seq);
        await doc.replace(nestedObjects(64));
        expect(await doc.get()).toEqual(nestedObjects(64));
        await doc.replace("x".repeat(maxBytes - 2));
        expect(((await doc.get()) as string).length).toBe(maxBytes - 2);
      },
    );

    s.clause("a closed store gives E_CLOSED through the domain API", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      await store.state().set("/a", 1);
      await scope.closeStore(store);
      expect(await thrownKind(() => store.state().get()), "state get").toBe("E_CLOSED");
      expect(await thrownKind(() => store.state().set("/a", 2)), "state set").toBe("E_CLOSED");
      expect(await thrownKind(() => store.sessions.list()), "sessions list").toBe("E_CLOSED");
      expect(await thrownKind(() => store.batch([{ op: "state.set", pointer: "/b", value: 1 }])), "batch").toBe("E_CLOSED");
    });

    s.clause(
      "documents, sessions, agents, config and tools survive close and reopen",
      async (scope) => {
        const { expect } = scope;
        const store = await scope.openStore();
        await store.state().set("/a/b", [1, "two"]);
        await store.sessions.create({ id: "s1", project: "p" });
        await store.sessionState("s1").increment("/calls", 3);
        const agent = await store.agents.spawn("s1", { role: "coder" });
        await store.config.set("p", { name: "p" });
        await store.tools.register({ name: "t" });
        const before = {
          doc: await store.state().read(),
          session: await store.sessions.get("s1"),
          sessionDoc: await store.sessionState("s1").read(),
          agent: await store.agents.get(agent.id),
          config: await store.config.get("p"),
          tool: await store.tools.get("t"),
          sequence: await store.sequence(),
        };
        await scope.closeStore(store);
        const again = await scope.openStore();
        expect({
          doc: await again.state().read(),
          session: await again.sessions.get("s1"),
          sessionDoc: await again.sessionState("s1").read(),
          agent: await again.agents.get(agent.id),
          config: await again.config.get("p"),
          tool: await again.tools.get("t"),
          sequence: await again.sequence(),
        }).toEqual(before);
        expect((await again.state().increment("/n")).revision, "revisions continue").toBe(before.doc.revision + 1);
      },
      { requires: [requires.persistent] },
    );

    s.clause("session state documents are separate from named ones and from each other", async (scope) => {
      const { expect } = scope;
      const store = await scope.openStore();
      const s1 = await store.sessions.create({ id: "s1" });
      await store.sessions.create({ id: "s2" });
      await store.sessionState(s1.id).set("/calls", 1);
      await store.sessionState("s2").increment("/calls", 5);
      await store.state("s1").set("/calls", 100);
      expect(await store.sessionState("s1").get("/calls")).toBe(1);
      expect(await store.sessionState("s2").get("/calls")).toBe(5);
      expect(await store.state("s1").get("/calls")).toBe(100);
      expect(await store.state().get()).toBeUndefined();
    });
  });
}
