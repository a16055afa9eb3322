import { describe, expect, it } from "vitest";
import { storeKey } from "../src/daemon/locate.js";

// A store's daemon is found by the store's key: the real path of a local store (so a relative
// location depends on the working directory), the URL itself for a server's store.
describe("storeKey", () => {
  it("names a server's store by its URL from any working directory, a local store by its resolved path", () => {
    const pg = "postgres:///statehouse?host=/tmp/pg-socket";
    expect(storeKey(pg, "/a")).toBe(storeKey(pg, "/b"));
    expect(storeKey(pg, "/a")).toBe(pg);
    expect(storeKey("sqlite:./s.db", "/a")).not.toBe(storeKey("sqlite:./s.db", "/b"));
    expect(storeKey("sqlite:./s.db", "/a")).toBe(storeKey("sqlite:/a/s.db", "/b"));
  });
});
