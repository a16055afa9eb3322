import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { FileAdapter } from "@statehouse/adapter-file";
import { isStatehouseError } from "@statehouse/core";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "./helpers.js";

const dirs: string[] = [];
function fresh(): string {
  const d = tempDir("harden");
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

/** A frame-checked file exactly as the adapter writes one (header with length and CRC-32, then lines). */
function framed(header: Record<string, unknown>, lines: string[]): Buffer {
  const body = Buffer.from(lines.length === 0 ? "" : `${lines.join("\n")}\n`, "utf8");
  const base = JSON.stringify({ ...header, bytes: body.length });
  const crc = crc32(body, crc32(Buffer.from(`${base}\n`, "utf8"))).toString(16).padStart(8, "0");
  return Buffer.concat([Buffer.from(`${base.slice(0, -1)},"crc32":"${crc}"}\n`, "utf8"), body]);
}

describe("file adapter: files read from disk are not trusted", () => {
  it("a CRC-valid crafted commit naming a collection ../../x is E_CORRUPT, and no fold writes outside the store", async () => {
    const parent = fresh();
    const dir = join(parent, "a", "store");
    mkdirSync(dir, { recursive: true });
    const a = await FileAdapter.open(dir, { foldEvery: 1_000 });
    await a.transact((tx) => tx.put("items", "one", { n: 1 }));
    await a.close();
    const seq = 2;
    const line = `{"op":"put","collection":"../../escaped","id":"x","rev":1,"index":{},"value":{"evil":true}}`;
    writeFileSync(
      join(dir, "wal", `${String(seq).padStart(16, "0")}.json`),
      framed({ statehouse: "commit", format: 1, seq, at: new Date().toISOString(), writes: 1 }, [line]),
      { mode: 0o600 },
    );
    const b = await FileAdapter.open(dir, { foldEvery: 1 });
    let caught: unknown;
    try {
      await b.transact((tx) => tx.put("items", "two", { n: 2 }));
      await b.compact();
    } catch (err) {
      caught = err;
    }
    await b.close();
    expect(isStatehouseError(caught, "E_CORRUPT"), String(caught)).toBe(true);
    expect(existsSync(join(dirname(dir), "escaped"))).toBe(false);
    expect(readdirSync(join(parent, "a")).sort()).toEqual(["store"]);
  });
});
