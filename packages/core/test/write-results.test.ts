import { describe, expect, it } from "vitest";
import { open } from "../dist/index.js";

// A write's result gets its change sequence number on an explicit path (runWrite, and per
// operation kind in a batch), not by the store inspecting each result's shape.
describe("write results", () => {
  it("every WriteResult carries the sequence number its transaction took; other results are left as they are", async () => {
    const store = await open("memory:");
    try {
      const set = await store.state().set("/a", 1);
      expect(set).toEqual({ revision: 1, sequence: await store.sequence() });
      const inc = await store.state().increment("/n", 5);
      expect(inc).toEqual({ revision: 2, sequence: await store.sequence(), value: 5 });
      const session = await store.sessions.create({ id: "s1" });
      expect("sequence" in session).toBe(false);

      const before = await store.sequence();
      const results = await store.batch([
        { op: "state.set", pointer: "/b", value: 2 },
        { op: "state.increment", pointer: "/n", by: 1 },
        { op: "session.create", id: "s2" },
        { op: "state.remove", doc: "absent" },
        { op: "session.delete", id: "s1" },
      ]);
      const sequence = before + 1;
      expect(await store.sequence()).toBe(sequence);
      expect(results[0]).toEqual({ revision: 3, sequence });
      expect(results[1]).toEqual({ revision: 3, sequence, value: 6 }); // one transaction revises the document once
      expect((results[2] as { id: string }).id).toBe("s2");
      expect("sequence" in (results[2] as object)).toBe(false);
      expect(results[3]).toBe(false);
      expect(results[4]).toEqual({ revision: 1, sequence });

      const deleted = await store.sessions.delete("s2");
      expect(deleted).toEqual({ revision: 1, sequence: await store.sequence() });
    } finally {
      await store.close();
    }
  });
});
