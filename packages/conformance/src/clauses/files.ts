import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { JsonValue } from "@statehouse/core";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";
import { walk } from "../util/fs-walk.js";

/** Ids that try to leave the store's directory. Every one must be refused with E_INVALID_PATH. */
export const HOSTILE_IDS: ReadonlyArray<[string, string]> = [
  ["../x", "../x"],
  ["../../x", "../../x"],
  ["/etc/passwd", "/etc/passwd"],
  ["a/../../b", "a/../../b"],
  ["..\\x", "..\\x"],
  ["a\\..\\..\\b", "a\\..\\..\\b"],
  ["..", ".."],
  [".", "."],
  ["a NUL byte", "a\u0000b"],
  ["a NUL-terminated ../x", "../x\u0000"],
  ["a 10 KB id", "x".repeat(10 * 1024)],
  ["a 10 KB ../ chain", "../".repeat(3414)],
  ["one-dot leaders (U+2024)", "\u2024\u2024/x"],
  ["full-width dots (U+FF0E)", "\uFF0E\uFF0E/x"],
  ["full-width solidus", "\uFF0E\uFF0E\uFF0Fx"],
  ["an empty id", ""],
  ["a hidden file", ".hidden"],
  ["a home directory", "~/x"],
  ["a URL-encoded ../", "%2e%2e%2fx"],
  ["a newline", "a\nb"],
];

/** Collection names are a lower-case alphabet of at most 64 characters; these are not. */
const HOSTILE_COLLECTIONS = [
  "../x",
  "/etc/passwd",
  "a/../../b",
  "..\\x",
  "a\u0000b",
  "\u2024\u2024",
  "\uFF0E\uFF0E",
  "",
  ".hidden",
  "x".repeat(65),
  "Upper",
];

function sha(path: string): string {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return "absent";
  }
}

export function registerFiles(s: SuiteContext): void {
  s.describeGroup("id-traversal", "no id can reach outside the store", [], () => {
    s.clause(
      "hostile ids (../x, /etc/passwd, a/../../b, ..\\x, NUL, 10 KB, Unicode dots, …) give E_INVALID_PATH and create no file",
      async (scope) => {
        const { expect } = scope;
        const a = await scope.open();
        await a.transact((tx) => tx.put("docs", "ok", { v: 1 }));
        // The clause directory's parent holds the clause directory: anything written beside or above the store shows up here.
        const parent = dirname(scope.dir);
        const before = walk(parent).map((e) => `${e.type} ${e.path}`);
        const passwd = sha("/etc/passwd");
        const seq = await a.sequence();
        for (const [what, id] of HOSTILE_IDS) {
          expect(await thrownKind(() => a.transact((tx) => tx.put("docs", id, { evil: true }))), `put ${what}`).toBe("E_INVALID_PATH");
          expect(await thrownKind(() => a.transact((tx) => tx.delete("docs", id))), `delete ${what}`).toBe("E_INVALID_PATH");
          expect(await thrownKind(() => a.transact((tx) => tx.get("docs", id))), `tx.get ${what}`).toBe("E_INVALID_PATH");
          // A plain read of a refused id may answer "absent" or refuse; it must never reach a file.
          const read = await thrownKind(async () => {
            const r = await a.get("docs", id);
            if (r !== undefined) throw new Error(`get returned a record for ${JSON.stringify(id.slice(0, 40))}`);
          });
          expect(["no error", "E_INVALID_PATH"], `get ${what} gave ${read}`).toContain(read);
        }
        for (const collection of HOSTILE_COLLECTIONS) {
          expect(
            await thrownKind(() => a.transact((tx) => tx.put(collection, "x", { evil: true }))),
            `collection ${JSON.stringify(collection)}`,
          ).toBe("E_INVALID_PATH");
        }
        expect(
          walk(parent).map((e) => `${e.type} ${e.path}`),
          "the directory tree around the store",
        ).toEqual(before);
        expect(sha("/etc/passwd"), "/etc/passwd unchanged").toBe(passwd);
        expect(await a.sequence()).toBe(seq);
        expect(await a.count("docs")).toBe(1);
      },
    );
  });

  s.describeGroup("file-modes", "files 0600, directories 0700", [requires.filesystem], () => {
    s.clause("a fresh store under umask 022: every file 0600, every directory 0700", async (scope) => {
      const { expect } = scope;
      let old: number;
      try {
        old = process.umask(0o022);
      } catch (err) {
        throw new Error(
          `process.umask() is not available in this worker (${(err as Error).message}): run the suite in a forked process pool`,
        );
      }
      try {
        const a = await scope.open();
        for (let i = 0; i < 20; i++) {
          await a.transact((tx) => tx.put(`coll${i % 3}`, `r${i}`, { i } as JsonValue, { index: { by: `k${i}` } }));
        }
        await a.transact((tx) => tx.delete("coll0", "r0"));
        if (a.compact !== undefined) await a.compact();
        if (a.check !== undefined) await a.check();
        await scope.close(a);
        const b = await scope.open();
        await b.transact((tx) => tx.put("coll0", "again", { v: 1 }));
        const entries = walk(scope.dir);
        const wrong = entries
          .filter((e) => (e.type === "file" && e.mode !== 0o600) || (e.type === "dir" && e.mode !== 0o700))
          .map((e) => `${e.type} ${e.path || "."} is ${e.mode.toString(8).padStart(4, "0")}`);
        expect(
          entries.some((e) => e.type === "file"),
          "the store made files",
        ).toBe(true);
        expect(wrong, "entries with the wrong mode").toEqual([]);
      } finally {
        process.umask(old);
      }
    });
  });
}
