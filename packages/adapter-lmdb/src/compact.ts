import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LockTimeoutError, type StatehouseError } from "@statehouse/core";
import { SELF, isGone, liveness } from "@statehouse/core/spi";
import { type Environment, closeEnvironment, fsyncPath, openEnvironment, otherReaders, writeTransaction } from "./environment.js";
import { mapEngineError } from "./map-engine-error.js";
import { LOG_SEQUENCE, META_COMPACTING } from "./keys.js";
import type { ResolvedLmdbOptions } from "./options.js";
import { rebuildInto } from "./rebuild.js";
import { openCount } from "./registry.js";

const TMP_PREFIX = ".compact-";

function refuse(env: Environment, pids: number[], inProcess: number): LockTimeoutError {
  const who = [
    ...(pids.length > 0 ? [`process(es) ${pids.join(", ")}`] : []),
    ...(inProcess > 0 ? [`${inProcess} other adapter(s) in this process`] : []),
  ];
  return new LockTimeoutError(`compaction needs exclusive access to ${env.path}, but ${who.join(" and ")} have it open`, {
    details: { path: env.path, pids },
  });
}

/**
 * The marker's owner record: pid, start time and boot id (as the file adapter's lock records), so
 * that after a crash and a reboot a pid reused by an unrelated process does not pass for the
 * compaction that died.
 */
function markerOwner(env: Environment): { pid: number; alive: boolean; self: boolean } | undefined {
  const raw = env.meta.getBinary(META_COMPACTING);
  if (raw === undefined) return undefined;
  let owner: Record<string, unknown>;
  try {
    owner = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  } catch {
    // Unreadable: no process can be waiting on it.
    return { pid: 0, alive: false, self: false };
  }
  const pid = Number(owner.pid);
  const self = pid === process.pid && (typeof owner.start !== "string" || owner.start === SELF.start);
  // A marker of an older version holds only a pid: LMDB stores are local, so it was this host's.
  // "unknown" (another host or pid namespace) is presumed alive: never swap a file under a live compaction.
  return { pid, alive: liveness({ host: SELF.host, ns: SELF.ns, ...owner }) !== "dead", self };
}

/** The pid of a compaction in progress (a live process other than this one), if any. */
export function compactingPid(env: Environment): number | undefined {
  const owner = markerOwner(env);
  return owner !== undefined && !owner.self && owner.alive ? owner.pid : undefined;
}

/** Clears what a compaction that died left behind: its marker and its temporary directory. */
export function clearStaleCompaction(env: Environment): void {
  for (const name of readdirSync(env.path)) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    // .compact-<pid>-<start> (older versions: .compact-<pid>): a reused pid is not its maker.
    const [pid, start] = name.slice(TMP_PREFIX.length).split("-");
    if (Number(pid) === process.pid || isGone(Number(pid), start ?? "")) rmSync(join(env.path, name), { recursive: true, force: true });
  }
  const owner = markerOwner(env);
  if (owner === undefined) return;
  if (owner.self || !owner.alive) {
    writeTransaction(env, () => {
      env.meta.remove(META_COMPACTING);
    });
  }
}

/**
 * Rebuilds the environment without its free pages, its pages filled, and swaps the copy in. Another process mapping
 * the old file would keep using a file that is no longer the store, so this requires exclusive
 * access: other processes are recognised by their LMDB reader slots (every open adapter holds
 * one), and a marker in the store makes processes that open it meanwhile wait until the swap is
 * done. The swap and the reopening happen under the store's process mutex, which every process
 * opening the store takes. A crash at any point leaves either the old or the new, complete file.
 */
export async function compactEnvironment(
  env: Environment,
  location: string,
  options: ResolvedLmdbOptions,
): Promise<{ env: Environment; error?: StatehouseError }> {
  const inProcess = openCount(env.path) - 1;
  const pids = otherReaders(env);
  if (pids.length > 0 || inProcess > 0) throw refuse(env, pids, inProcess);
  const tmpDir = join(env.path, `${TMP_PREFIX}${process.pid}-${SELF.start}`);
  try {
    writeTransaction(env, () => {
      env.meta.put(META_COMPACTING, Buffer.from(JSON.stringify({ ...SELF, at: new Date().toISOString() })));
    });
    rmSync(tmpDir, { recursive: true, force: true });
    mkdirSync(tmpDir, { mode: 0o700 });
    chmodSync(tmpDir, 0o700);
    await rebuildInto(env, tmpDir, options);
  } catch (err) {
    rmSync(tmpDir, { recursive: true, force: true });
    clearMarker(env);
    throw mapEngineError(err, "compacting", env.file);
  }
  const late = otherReaders(env);
  if (late.length > 0) {
    rmSync(tmpDir, { recursive: true, force: true });
    clearMarker(env);
    throw refuse(env, late, 0);
  }
  const copy = join(tmpDir, "data.mdb");
  // The old environment must be closed before the rename: lmdb-js would otherwise hand the reopening
  // its still-open native environment (it recognises lock.mdb), mapping the old file.
  await closeEnvironment(env, true);
  let error: StatehouseError | undefined;
  let next: Environment;
  try {
    next = env.mutex.run(() => {
      try {
        chmodSync(copy, 0o600);
        // LMDB does not flush the copy: make it durable before it replaces the store, and the rename after.
        fsyncPath(copy, "r+");
        renameSync(copy, env.file);
        fsyncPath(env.path, "r");
      } catch (err) {
        // The old file is still in place (the rename is the last step that can fail before it).
        error = mapEngineError(err, "replacing data.mdb with its compacted copy", env.file);
      }
      const reopened = openEnvironment(location, options, env.mutex);
      clearMarker(reopened);
      reopened.log.getBinaryFast(LOG_SEQUENCE);
      return reopened;
    });
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return error === undefined ? { env: next } : { env: next, error };
}

function clearMarker(env: Environment): void {
  try {
    writeTransaction(env, () => {
      env.meta.remove(META_COMPACTING);
    });
  } catch {
    // The next open clears a marker whose process is gone.
  }
}
