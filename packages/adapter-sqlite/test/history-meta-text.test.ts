import { join } from "node:path";
import { HISTORY_META, type JsonValue, open } from "@statehouse/core";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

/** The meta record's text as stored in the database file. */
function storedText(file: string, id: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT value FROM records WHERE collection = ? AND id = ?").pluck().get(HISTORY_META, id) as string) ?? "";
  } finally {
    db.close();
  }
}

describe("history's meta record, composed from its entries' texts", () => {
  it("is stored as exactly the text of the value it holds, and reads back the same from a fresh process's cache", async () => {
    const d = tempDir();
    dirs.push(d);
    const file = join(d.dir, "s.db");
    const store = await open(`sqlite:${file}`, { historyLimit: 4, durability: "relaxed" });
    const doc = store.state("meta-text");
    await doc.replace({ n: 0, text: 'é \u2028 "quoted" \\' });
    for (let i = 1; i <= 7; i++) await doc.set("/n", i);
    const cached = (await store.adapter.get(HISTORY_META, "g.meta-text"))!.value;
    expect(storedText(file, "g.meta-text")).toBe(JSON.stringify(cached));
    expect((cached as { entries: JsonValue[] }).entries.length).toBe(4);

    // A hand-edited meta record (an import): members in another order, an entry that cannot be read.
    const edited: { entries: JsonValue[] } & Record<string, JsonValue> = {
      document: "meta-text",
      collection: "state",
      entries: [{ size: 11, at: "2026-01-01T00:00:00.000Z", revision: 7 }, { revision: "6" }, { at: null, revision: 6, size: 10 }],
      size: 12,
      at: null,
      revision: 8,
    };
    await store.adapter.transact((tx) => tx.put(HISTORY_META, "g.meta-text", edited));
    await doc.set("/n", 8);
    const after = (await store.adapter.get(HISTORY_META, "g.meta-text"))!.value as { entries: JsonValue[] };
    expect(storedText(file, "g.meta-text")).toBe(JSON.stringify(after));
    // The entries kept as they were stored (their member order too), the unreadable one dropped.
    expect(JSON.stringify(after.entries.slice(1))).toBe(JSON.stringify([edited.entries[0], edited.entries[2]]));

    const fresh = await open(`sqlite:${file}`);
    try {
      expect(await fresh.state("meta-text").history()).toEqual(await doc.history());
      expect((await fresh.adapter.get(HISTORY_META, "g.meta-text"))!.value).toEqual(after);
    } finally {
      await fresh.close();
      await store.close();
    }
  });
});
