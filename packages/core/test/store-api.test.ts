import { describe, expect, it } from "vitest";
import { BUILTIN_CONFIG_SCHEMA, type StoreApi, open } from "../dist/index.js";

// The Store class is assigned to the interface: `tsc` fails here if the class stops implementing it.
async function openApi(schema?: object, mode?: "extend" | "replace"): Promise<StoreApi> {
  return open("memory:", schema === undefined ? {} : { config: { schema: schema as never, ...(mode !== undefined && { mode }) } });
}

describe("StoreApi (the store interface)", () => {
  it("config.schema() gives the built-in schema, extended or replaced", async () => {
    const plain = await openApi();
    expect(await plain.config.schema()).toEqual(BUILTIN_CONFIG_SCHEMA);
    const mine = { type: "object", required: ["owner"] };
    const extended = await openApi(mine);
    expect(await extended.config.schema()).toEqual({ allOf: [BUILTIN_CONFIG_SCHEMA, mine] });
    const replaced = await openApi(mine, "replace");
    expect(await replaced.config.schema()).toEqual(mine);
    for (const s of [plain, extended, replaced]) await s.close();
  });

  it("drives documents, sessions and batch through the interface alone", async () => {
    const store = await openApi();
    const r = await store.state().increment("/n", 2);
    expect(r).toEqual({ revision: 1, sequence: 1, value: 2 });
    const s = await store.sessions.create({ id: "s1" });
    expect(s.revision).toBe(1);
    const results = await store.batch([{ op: "state.set", session: "s1", pointer: "/a", value: 1 }]);
    expect(results).toEqual([{ revision: 1, sequence: 3 }]);
    expect(await store.sessionState("s1").get("/a")).toBe(1);
    expect(await store.sequence()).toBe(3);
    await store.close();
  });
});
