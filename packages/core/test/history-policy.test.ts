import { describe, expect, it } from "vitest";
import { HISTORY, Store, isStatehouseError, open } from "../dist/index.js";

/**
 * Issue 14, "History": the number of earlier revisions kept is settable outside the library, in the
 * `default` project's config (`{"history": {"limit": N}}`), so the CLI, the daemon and library
 * users of one store agree; an explicit `historyLimit` option still wins.
 */
async function thrownCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "no error";
  } catch (err) {
    return isStatehouseError(err) ? err.code : `untyped ${String(err)}`;
  }
}

const revisions = async (store: Store) => (await store.state().history()).map((e) => e.revision);

describe("historyLimit from the default project's config", () => {
  it("a config's history.limit applies to this store's next write, and to a store opened later", async () => {
    const store = await open("memory:");
    expect(store.historyLimit, "no section: the default").toBe(20);
    await store.config.set("default", { history: { limit: 2 } });
    for (let i = 0; i < 6; i++) await store.state().set("/i", i);
    expect(store.historyLimit).toBe(2);
    expect(await revisions(store), "the current revision and 2 earlier ones").toEqual([6, 5, 4]);
    expect(await store.adapter.count(HISTORY)).toBe(2);
    const later = new Store(store.adapter);
    expect(await later.refreshHistoryLimit(), "read by a store opened later").toBe(2);
    await store.close();
  });

  it("a store that is already open picks up another's change within a second, before its next write", async () => {
    const a = await open("memory:");
    const b = new Store(a.adapter);
    await b.state().set("/i", 0); // b has read the policy: none, 20
    await a.config.set("default", { history: { limit: 1 } });
    expect(b.historyLimit, "not read again yet").toBe(20);
    await new Promise((r) => setTimeout(r, 1_100));
    for (let i = 1; i < 5; i++) await b.state().set("/i", i);
    expect(b.historyLimit).toBe(1);
    expect(await revisions(b)).toEqual([5, 4]);
    await a.config.set("default", {});
    await a.state().set("/i", 5);
    expect(a.historyLimit, "the section removed: back to the default").toBe(20);
    await a.close();
  });

  it("an explicit historyLimit wins over the config; the config's section is checked by the schema", async () => {
    const store = await open("memory:", { historyLimit: 3 });
    await store.config.set("default", { history: { limit: 1 } });
    for (let i = 0; i < 6; i++) await store.state().set("/i", i);
    expect(store.historyLimit).toBe(3);
    expect(await revisions(store)).toEqual([6, 5, 4, 3]);
    for (const bad of [{ limit: 1001 }, { limit: -1 }, { limit: 1.5 }, { limit: "5" }, { other: 1 }, 7]) {
      expect(await thrownCode(() => store.config.set("default", { history: bad as never })), JSON.stringify(bad)).toBe("E_CONFIG");
    }
    await store.close();
  });
});
