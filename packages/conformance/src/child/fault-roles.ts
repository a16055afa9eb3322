import { execFileSync } from "node:child_process";
import { statfsSync } from "node:fs";
import type { JsonValue, StorageAdapter } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import { errorKind } from "../util/errors.js";
import { temporaryFiles } from "../util/fs-walk.js";
import type { Role } from "./spi-roles.js";

async function attempt(fn: () => Promise<unknown>): Promise<{ kind: string; ms: number }> {
  const t0 = performance.now();
  try {
    await fn();
    return { kind: "no error", ms: performance.now() - t0 };
  } catch (err) {
    return { kind: errorKind(err), ms: performance.now() - t0 };
  }
}

async function compareAll(a: StorageAdapter, expected: ReadonlyMap<string, JsonValue>): Promise<string[]> {
  const problems: string[] = [];
  for (const [id, value] of expected) {
    try {
      const got = await a.get("fill", id);
      if (got === undefined) problems.push(`${id} is missing`);
      else if (JSON.stringify(got.value) !== JSON.stringify(value)) problems.push(`${id} changed`);
    } catch (err) {
      problems.push(`${id}: ${errorKind(err)}`);
    }
  }
  return problems;
}

/**
 * disk full: runs inside a private mount namespace with a small tmpfs on `dir`. Fills it, then
 * checks the typed error, the earlier records, temporary files, recovery after freeing space.
 */
const diskFull: Role = async (job) => {
  const dir = job.params.dir as string;
  const st = statfsSync(dir);
  const size = st.blocks * st.bsize;
  if (size > 64 * 1024 * 1024) throw new Error(`no small tmpfs on ${dir} (${size} bytes): the mount did not happen`);
  const a = await openAdapterUrl(job.url, job.adapterOptions);
  const written = new Map<string, JsonValue>();
  let full: { kind: string; at: number } | undefined;
  const maxRecords = job.params.maxRecords as number;
  for (let i = 0; i < maxRecords && full === undefined; i++) {
    const value = { i, pad: `${i}`.padEnd(job.params.recordBytes as number, "d") };
    const r = await attempt(() => a.transact((tx) => tx.put("fill", `r${i}`, value)));
    if (r.kind === "no error") written.set(`r${i}`, value);
    else full = { kind: r.kind, at: i };
  }
  // A second write into the full store must fail the same way, not corrupt it.
  const again =
    full === undefined ? undefined : await attempt(() => a.transact((tx) => tx.put("fill", "again", { pad: "a".repeat(64 * 1024) })));
  const problemsWhileFull = await compareAll(a, written);
  const countWhileFull = await attempt(async () => {
    const n = await a.count("fill");
    if (n !== written.size) throw new Error(`count ${n} while ${written.size} were written`);
  });
  const tempWhileFull = temporaryFiles(dir);
  execFileSync("mount", ["-o", `remount,size=${job.params.remountSize as string}`, dir]);
  const after = await attempt(() => a.transact((tx) => tx.put("fill", "after", { ok: true })));
  if (after.kind === "no error") written.set("after", { ok: true });
  const checkAfter = a.check === undefined ? undefined : await a.check();
  await a.close();
  const b = await openAdapterUrl(job.url, job.adapterOptions);
  const problemsAfterReopen = await compareAll(b, written);
  const checkReopened = b.check === undefined ? undefined : await b.check();
  await b.close();
  const tempAfter = temporaryFiles(dir);
  // Give a stray rejection from the failed writes time to surface.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    size,
    written: written.size,
    full,
    again,
    problemsWhileFull,
    countWhileFull: countWhileFull.kind,
    tempWhileFull,
    after: after.kind,
    checkAfter: checkAfter === undefined ? null : { ok: checkAfter.ok, problems: checkAfter.problems },
    problemsAfterReopen,
    checkReopened: checkReopened === undefined ? null : { ok: checkReopened.ok, problems: checkReopened.problems },
    tempAfter,
  };
};

/** permission denied: run as an unprivileged user against a store root made read-only. */
const permissionDenied: Role = async (job) => {
  const uid = process.getuid?.();
  const expected = new Map(Object.entries(job.params.expected as Record<string, JsonValue>));
  let a: StorageAdapter | undefined;
  const opened = await attempt(async () => {
    a = await openAdapterUrl(job.url, job.adapterOptions);
  });
  if (a === undefined) return { uid, open: opened };
  const adapter = a as StorageAdapter;
  const reads: string[] = [];
  for (const [id, value] of expected) {
    try {
      const got = await adapter.get("docs", id);
      reads.push(
        got !== undefined && JSON.stringify(got.value) === JSON.stringify(value) ? "same" : `different: ${JSON.stringify(got?.value)}`,
      );
    } catch (err) {
      reads.push(errorKind(err));
    }
  }
  const write = await attempt(() => adapter.transact((tx) => tx.put("docs", "intruder", { by: uid ?? -1 })));
  const del = await attempt(() => adapter.transact((tx) => tx.delete("docs", [...expected.keys()][0]!)));
  const closed = await attempt(() => adapter.close());
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { uid, open: opened, reads, write, del, close: closed.kind };
};

export const FAULT_ROLES: Record<string, Role> = {
  "disk-full": diskFull,
  "permission-denied": permissionDenied,
};
