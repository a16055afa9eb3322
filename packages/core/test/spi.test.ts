import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as user from "@statehouse/core";
import { isStatehouseError } from "@statehouse/core";
import {
  MemoryAdapter,
  SortedIndex,
  compareKeys,
  decodeCursor,
  encodeCursor,
  fromSystemError,
  openAdapterUrl,
  parseStoreUrl,
} from "@statehouse/core/spi";

describe("the package's two entries", () => {
  it("`.` is the user API; the adapter helpers are on `./spi`, with the same error classes", () => {
    expect(typeof user.open).toBe("function");
    const helpers = [
      "TxBuffer",
      "runTransaction",
      "SortedIndex",
      "MemoryAdapter",
      "registerAdapter",
      "openAdapterUrl",
      "compareKeys",
      "fromSystemError",
      "encodeKey",
      "pathExists",
      "liveness",
      "indexKeysFor",
    ];
    for (const name of helpers) expect(name in user, name).toBe(false);
    const full = fromSystemError(Object.assign(new Error("no space"), { code: "ENOSPC" }), "writing");
    expect(full).toBeInstanceOf(user.StorageFullError);
    expect(full).toBeInstanceOf(user.StatehouseError);
  });

  it("the published types carry no planning method", () => {
    const source = readFileSync(new URL("../src/domain/state-document.ts", import.meta.url), "utf8");
    expect(source).toMatch(/^ {2}planSet\(/m);
    const dist = new URL("../dist/", import.meta.url);
    const types = readdirSync(dist).filter((f) => f.endsWith(".d.ts"));
    expect(types).toEqual(expect.arrayContaining(["index.d.ts", "spi.d.ts"]));
    for (const file of types) expect(readFileSync(new URL(file, dist), "utf8"), file).not.toMatch(/\bplan[A-Z]\w*\(/);
  });
});

describe("compareKeys", () => {
  it("orders by code point, like UTF-8 bytes", () => {
    const keys = ["b", "a", "\uffff", "😀", "ab", "", "é"];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
  });
});

describe("SortedIndex.build", () => {
  it("orders exactly as one insert per entry does, surrogates included", () => {
    const keys = ["b", "a", "\uffff", "😀", "ab", "", "é", "a"];
    const entries = keys.map((k, i) => ({ key: k, id: `id${i % 5}` }));
    const inserted = new SortedIndex();
    for (const e of entries) inserted.insert(e.key, e.id);
    const built = SortedIndex.build([...entries]);
    const all = (idx: SortedIndex) => idx.scan({ limit: 100 }).entries.map((e) => `${e.key}|${e.id}`);
    expect(all(built)).toEqual(all(inserted));
    const plain = SortedIndex.build(entries.filter((e) => e.key !== "😀"));
    expect(all(plain)).toEqual(all(inserted).filter((k) => !k.startsWith("😀")));
  });
});

describe("cursor", () => {
  it("round-trips and refuses garbage with E_VALIDATION", () => {
    expect(decodeCursor(encodeCursor("k\u0000x", "id"))).toEqual({ key: "k\u0000x", id: "id" });
    try {
      decodeCursor("not-a-cursor");
      expect.unreachable();
    } catch (err) {
      expect(isStatehouseError(err, "E_VALIDATION")).toBe(true);
    }
  });
});

describe("store URLs", () => {
  it("parses the four schemes and file:// URLs", () => {
    expect(parseStoreUrl("file:./x")).toEqual({ scheme: "file", location: "./x" });
    expect(parseStoreUrl("sqlite:/tmp/a.db")).toEqual({ scheme: "sqlite", location: "/tmp/a.db" });
    expect(parseStoreUrl("file:///tmp/a%20b")).toEqual({ scheme: "file", location: "/tmp/a b" });
    expect(parseStoreUrl("memory:")).toEqual({ scheme: "memory", location: "" });
  });

  it("refuses bare paths and unknown schemes with E_CONFIG", async () => {
    expect(() => parseStoreUrl("./dir")).toThrow(/invalid store URL/);
    await expect(openAdapterUrl("redis:localhost")).rejects.toMatchObject({ code: "E_CONFIG" });
  });
});

describe("transactions (memory adapter)", () => {
  it("numbers revisions, checks conditions, and commits all or nothing", async () => {
    const a = new MemoryAdapter();
    const r1 = await a.transact((tx) => tx.put("c", "x", { n: 1 }));
    expect(r1).toEqual({ result: 1, sequence: 1 });
    // Two puts of one record in one transaction are one committed write.
    const r2 = await a.transact((tx) => {
      tx.put("c", "x", { n: 2 });
      return tx.put("c", "x", { n: 3 });
    });
    expect(r2.result).toBe(2);
    await expect(a.transact((tx) => tx.put("c", "x", {}, { ifRevision: 1 }))).rejects.toMatchObject({
      code: "E_CONFLICT",
      currentRevision: 2,
    });
    await expect(
      a.transact((tx) => {
        tx.put("c", "y", 1);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await a.get("c", "y")).toBeUndefined();
    expect(await a.sequence()).toBe(2);
    const none = await a.transact((tx) => tx.get("c", "x")?.revision);
    expect(none).toEqual({ result: 2, sequence: undefined });
  });

  it("refuses an async transaction function", async () => {
    const a = new MemoryAdapter();
    await expect(a.transact((async () => 1) as never)).rejects.toThrow(/synchronous/);
  });
});
