import { type Store, open } from "@statehouse/core";
import { describe, expect, it } from "vitest";
import { type DomainStore, loadOpen } from "../src/domain-api.js";

// The domain clauses drive core's Store through a structural slice of it (looked up at run time,
// so the suite also runs against a core without the domain API). This keeps the slice honest:
// it does not compile if core's Store stops fitting it.
const fits: (store: Store) => DomainStore = (store) => store;

describe("the domain API slice the suite drives", () => {
  it("is core's open()", async () => {
    expect(await loadOpen()).toBe(open);
    const store = fits(await open("memory:"));
    await store.state().set("/a", 1);
    expect(await store.state().get("/a")).toBe(1);
    await store.close();
  });
});
