import { chmodSync } from "node:fs";
import { join } from "node:path";
import type { JsonValue } from "@statehouse/core";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { walk } from "../util/fs-walk.js";

/** TESTPLAN "permission denied": the typed error comes within 1 s. */
const PERMISSION_BOUND_MS = 1_000;

export function registerFaults(s: SuiteContext): void {
  s.describeGroup(
    "disk-full",
    "a full disk gives E_STORAGE_FULL, keeps every record, and the store works again",
    [requires.filesystem, requires.root, requires.tmpfsMount],
    () => {
      s.clause(
        "a 2 MiB tmpfs filled up: E_STORAGE_FULL, earlier records unchanged, 0 temporary files, next write works after freeing space, 0 unhandled rejections",
        async (scope) => {
          const { expect } = scope;
          const dir = scope.dir;
          // The whole scenario runs in the child, inside its own mount namespace: the tmpfs is
          // invisible to (and vanishes with) everything else.
          const child = scope.spawn(
            "disk-full",
            { dir, recordBytes: 16 * 1024, maxRecords: 2_000, remountSize: "16m" },
            {
              prefix: [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                'mount -t tmpfs -o size=2m,mode=0700 tmpfs "$1" && exec "$2" "$3"',
                "sh",
                dir,
                "{node}",
                "{script}",
              ],
            },
          );
          const r = await child.result();
          const full = r.full as { kind: string; at: number } | undefined;
          expect(full, `the store filled up within ${r.written as number} records of 16 KiB`).toBeDefined();
          expect(full!.kind, "the error when the disk is full").toBe("E_STORAGE_FULL");
          expect(r.written as number, "records written before the disk was full").toBeGreaterThan(0);
          const again = r.again as { kind: string } | undefined;
          expect(["E_STORAGE_FULL", "no error"], `a second write while full gave ${again?.kind}`).toContain(again?.kind);
          expect(r.problemsWhileFull, "earlier records while full").toEqual([]);
          expect(r.countWhileFull, "count while full").toBe("no error");
          expect(r.tempWhileFull, "temporary files while full").toEqual([]);
          expect(r.after, "the next write after freeing space").toBe("no error");
          if (r.checkAfter !== null) expect(r.checkAfter, "check() after freeing space").toEqual({ ok: true, problems: [] });
          expect(r.problemsAfterReopen, "every record after reopening").toEqual([]);
          if (r.checkReopened !== null) expect(r.checkReopened, "check() after reopening").toEqual({ ok: true, problems: [] });
          expect(r.tempAfter, "temporary files at the end").toEqual([]);
          expect(r.unhandledRejections, "unhandled promise rejections").toBe(0);
        },
      );
    },
  );

  s.describeGroup(
    "permission-denied",
    "a denied permission gives E_PERMISSION within 1 s and changes nothing",
    [requires.filesystem, requires.root, requires.dropToNobody],
    () => {
      s.clause(
        "as uid 65534 on a store made read-only (directories 0555, files 0444): E_PERMISSION within 1 s, prior state intact",
        async (scope) => {
          const { expect } = scope;
          const a = await scope.open();
          const expected: Record<string, JsonValue> = {};
          for (let i = 0; i < 10; i++) {
            expected[`d${i}`] = { i, text: `record ${i}` };
            await a.transact((tx) => tx.put("docs", `d${i}`, expected[`d${i}`]!, { index: { by: `k${i}` } }));
          }
          const seq = await a.sequence();
          await scope.close(a);
          const modes = walk(scope.dir);
          scope.defer(() => {
            for (const e of modes) chmodSync(join(scope.dir, e.path), e.mode);
          });
          // Deepest first, so a directory is made read-only after its contents.
          for (const e of [...modes].reverse()) {
            if (e.type === "file") chmodSync(join(scope.dir, e.path), 0o444);
            else if (e.type === "dir") chmodSync(join(scope.dir, e.path), 0o555);
          }
          const child = scope.spawn(
            "permission-denied",
            { expected },
            { prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] },
          );
          const r = await child.result();
          expect(r.uid, "the child ran unprivileged").toBe(65534);
          const open = r.open as { kind: string; ms: number };
          if (open.kind !== "no error") {
            expect(open.kind, "opening the read-only store").toBe("E_PERMISSION");
            expect(open.ms, `open refused after ${Math.round(open.ms)} ms`).toBeLessThanOrEqual(PERMISSION_BOUND_MS);
          } else {
            const write = r.write as { kind: string; ms: number };
            const del = r.del as { kind: string; ms: number };
            expect(write.kind, "a write to the read-only store").toBe("E_PERMISSION");
            expect(write.ms, `write refused after ${Math.round(write.ms)} ms`).toBeLessThanOrEqual(PERMISSION_BOUND_MS);
            expect(del.kind, "a delete in the read-only store").toBe("E_PERMISSION");
            expect(del.ms, `delete refused after ${Math.round(del.ms)} ms`).toBeLessThanOrEqual(PERMISSION_BOUND_MS);
            for (const read of r.reads as string[]) expect(["same", "E_PERMISSION"], `a read gave ${read}`).toContain(read);
          }
          expect(r.unhandledRejections, "unhandled promise rejections").toBe(0);
          // Prior state intact, seen as root after restoring the modes.
          for (const e of modes) chmodSync(join(scope.dir, e.path), e.mode);
          const b = await scope.open();
          for (const [id, value] of Object.entries(expected)) expect((await b.get("docs", id))?.value, id).toEqual(value);
          expect(await b.get("docs", "intruder")).toBeUndefined();
          expect(await b.sequence()).toBe(seq);
          expect((await b.list("docs", { index: "by" })).records.map((rec) => rec.id)).toEqual(Object.keys(expected));
        },
      );
    },
  );
}
