import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError, CorruptError } from "@statehouse/core";
import type { Database, RootDatabase, RootDatabaseOptionsWithPath } from "lmdb";
import { ABORT } from "./lmdb-engine.js";
import { openRetrying } from "./open-retrying.js";
import { checkEnvHeader } from "./env-file.js";
import { ProcessMutex } from "./process-mutex.js";
import { openCount } from "./registry.js";
import { verifyEnvironmentFile } from "./verify.js";
import { mapEngineError } from "./map-engine-error.js";
import { META_FORMAT } from "./keys.js";
import type { ResolvedLmdbOptions } from "./options.js";

/** Version of the layout of the sub-databases (keys.ts, record-codec.ts). */
export const LAYOUT_VERSION = 1;
const MARKER = "statehouse.json";
/** The named databases of a store, in the order compaction copies them. */
export const SUB_DATABASES = ["meta", "records", "index", "log"] as const;

export interface Environment {
  readonly path: string;
  readonly file: string;
  readonly root: RootDatabase;
  readonly meta: Database<Buffer, Buffer>;
  readonly records: Database<Buffer, Buffer>;
  readonly index: Database<Buffer, Buffer>;
  readonly log: Database<Buffer, Buffer>;
  /** Held while opening data.mdb and around every write transaction (see process-mutex.ts). */
  readonly mutex: ProcessMutex;
}

interface FormatRecord {
  layout: number;
  sync: SyncMode;
  created: string;
}

/** Creates every missing directory of `path` with mode 0700, whatever the umask. */
export function makeDirectory(path: string): void {
  const missing: string[] = [];
  for (let p = path; !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      continue;
    }
    chmodSync(p, 0o700);
  }
}

/** Writes a small file atomically, mode 0600. */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  // O_EXCL: never write through something planted at the temporary name (a symlink, say).
  rmSync(tmp, { force: true });
  writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
  chmodSync(tmp, 0o600);
  fsyncPath(tmp, "r+");
  renameSync(tmp, path);
}

export function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sub(root: RootDatabase, name: string): Database<Buffer, Buffer> {
  return root.openDB({ name, encoding: "binary", keyEncoding: "binary" }) as unknown as Database<Buffer, Buffer>;
}

/**
 * Opens (creating if needed) the environment at `location`. The marker file records that the
 * store was initialised, so that an emptied or deleted data.mdb is reported as corrupt rather
 * than silently re-created empty. Opening happens under the store's process mutex (an open that
 * overlaps another process's commit can make LMDB forget that commit); `mutex` reuses one that
 * is already open, otherwise one is opened and then belongs to the environment.
 */
export function openEnvironment(location: string, options: ResolvedLmdbOptions, mutex?: ProcessMutex): Environment {
  const path = resolve(location);
  const file = join(path, "data.mdb");
  try {
    makeDirectory(path);
  } catch (err) {
    throw mapEngineError(err, `creating the store directory ${path}`, file);
  }
  const lock = mutex ?? ProcessMutex.open(path);
  let env: Environment;
  try {
    env = lock.run(() => openLocked(path, file, options, lock));
  } catch (err) {
    if (mutex === undefined) void lock.close();
    throw err;
  }
  if (options.verifyOnOpen) {
    try {
      verifyPinned(env.root, file);
    } catch (err) {
      void env.root.close().catch(() => undefined);
      if (mutex === undefined) void lock.close();
      throw mapEngineError(err, `opening ${file}`, file);
    }
  }
  return env;
}

function openLocked(path: string, file: string, options: ResolvedLmdbOptions, mutex: ProcessMutex): Environment {
  const marker = join(path, MARKER);
  const initialised = existsSync(marker);
  try {
    checkEnvHeader(file, initialised);
  } catch (err) {
    throw mapEngineError(err, `checking ${file}`, file);
  }
  let root: RootDatabase;
  try {
    root = openRetrying(rootOptions(path, options));
  } catch (err) {
    throw mapEngineError(err, `opening ${file}`, file);
  }
  let env: Environment;
  try {
    // An LMDB environment that something else made: do not add statehouse's databases to it.
    if (!initialised) {
      const foreign = [...root.getKeys({})].map(String).filter((k) => !(SUB_DATABASES as readonly string[]).includes(k));
      if (foreign.length > 0) {
        throw new ConfigError(
          `${path} holds an LMDB environment that is not a statehouse store (it has ${foreign.slice(0, 3).join(", ")})`,
          {
            details: { path },
          },
        );
      }
    }
    env = {
      path,
      file,
      root,
      meta: sub(root, "meta"),
      records: sub(root, "records"),
      index: sub(root, "index"),
      log: sub(root, "log"),
      mutex,
    };
    ensureFormat(env, options, initialised);
  } catch (err) {
    void root.close().catch(() => undefined);
    throw mapEngineError(err, `opening ${file}`, file);
  }
  if (!initialised) {
    try {
      writePrivateFile(marker, `${JSON.stringify({ kind: "statehouse-lmdb", layout: LAYOUT_VERSION })}\n`);
      // LMDB flushes data.mdb but never the directory: make the new files' entries durable once
      // (best effort: a directory that cannot be opened for reading cannot be flushed either).
      for (const d of [path, dirname(path)]) {
        try {
          fsyncPath(d, "r");
        } catch {
          // nothing more can be done
        }
      }
    } catch (err) {
      void root.close().catch(() => undefined);
      throw mapEngineError(err, `writing ${marker}`, file);
    }
  }
  return env;
}

/**
 * Runs `fn` in one LMDB write transaction of `env`, under the store's process mutex. Every write
 * to data.mdb goes through here. `flags` are lmdb-js's transactionSync flags (default: flushed).
 */
export function writeTransaction<T>(env: Environment, fn: () => T, flags = 3): T {
  return env.mutex.run(() => env.root.transactionSync(fn, flags as never));
}

/** lmdb-js options of a store's environment in the directory `path` (the store, or compaction's copy). */
export function rootOptions(path: string, options: ResolvedLmdbOptions): RootDatabaseOptionsWithPath {
  return {
    path,
    maxDbs: 8,
    maxReaders: options.maxReaders,
    overlappingSync: options.overlappingSync,
    // lmdb-js passes this to mdb_env_open: data.mdb and lock.mdb are created 0600.
    permissionsMode: 0o600,
    noSubdir: false,
  } as RootDatabaseOptionsWithPath;
}

/** Closes the environment and, unless `keepMutex`, its process mutex. */
export async function closeEnvironment(env: Environment, keepMutex = false): Promise<void> {
  await env.root.close().catch(() => undefined);
  if (!keepMutex) await env.mutex.close();
}

/**
 * Walks data.mdb's pages before LMDB reads any B-tree page (opening the environment and a read
 * transaction only read the meta pages), with a snapshot pinned so that no page reachable from
 * the newest meta is reused by a concurrent writer during the walk.
 */
function verifyPinned(root: RootDatabase, file: string): void {
  root.resetReadTxn();
  const txn = root.useReadTransaction();
  let problems: string[];
  try {
    problems = verifyEnvironmentFile(file);
  } finally {
    txn.done();
  }
  if (problems.length > 0) {
    throw new CorruptError(`corrupt store: ${file}: ${problems.length} structural problem(s): ${problems.slice(0, 3).join("; ")}`, {
      details: { file, problems },
    });
  }
}

function readFormat(env: Environment): FormatRecord | undefined {
  const raw = env.meta.getBinary(META_FORMAT);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw.toString("utf8")) as FormatRecord;
  } catch (err) {
    throw new CorruptError(`corrupt store: ${env.file}: unreadable format record`, { cause: err, details: { file: env.file } });
  }
}

/**
 * The LMDB sync flags a configuration opens the environment with. They must be the same in every
 * process that has the environment open at once: "overlapping" (lmdb-js's overlappingSync) or
 * "sync".
 */
export function syncModeOf(options: ResolvedLmdbOptions): SyncMode {
  return options.overlappingSync ? "overlapping" : "sync";
}

export type SyncMode = "sync" | "overlapping";

/** Pids with a reader slot in the environment, other than this process, after clearing dead ones. */
export function otherReaders(env: Environment): number[] {
  env.root.readerCheck();
  const pids = new Set<number>();
  for (const line of env.root.readerList().split("\n")) {
    const m = /^\s*(\d+)\s+[0-9a-f]+\s/.exec(line);
    if (m !== null && Number(m[1]) !== process.pid) pids.add(Number(m[1]));
  }
  return [...pids];
}

function ensureFormat(env: Environment, options: ResolvedLmdbOptions, initialised: boolean): void {
  const mode = syncModeOf(options);
  let format = readFormat(env);
  if (format === undefined) {
    if (initialised || env.records.getKeysCount({}) > 0) {
      throw new CorruptError(`corrupt store: ${env.file}: the format record is missing`, { details: { file: env.file } });
    }
    writeTransaction(env, () => {
      format = readFormat(env);
      if (format !== undefined) return ABORT;
      format = { layout: LAYOUT_VERSION, sync: mode, created: new Date().toISOString() };
      env.meta.put(META_FORMAT, Buffer.from(JSON.stringify(format)));
      return undefined;
    });
  }
  const f = format as FormatRecord;
  if (f.layout !== LAYOUT_VERSION) {
    throw new ConfigError(`${env.file} has layout version ${f.layout}; this adapter reads version ${LAYOUT_VERSION}`, {
      details: { file: env.file },
    });
  }
  if (f.sync === mode) return;
  if (openCount(env.path) > 0) {
    // lmdb-js shares one native environment per path in a process: it already has its flags.
    throw new ConfigError(`${env.path} is already open in this process with sync flags "${f.sync}"; this adapter asks for "${mode}"`, {
      details: { path: env.path, stored: f.sync, requested: mode },
    });
  }
  // The flags differ from those recorded by the last process that opened it. Every open adapter
  // holds a reader slot (the format read above took this one's), so the reader table tells
  // whether a process with the other flags is still there.
  const others = otherReaders(env);
  if (others.length > 0) {
    throw new ConfigError(
      `${env.path} is open in process(es) ${others.join(", ")} with sync flags "${f.sync}", and this process asks for "${mode}" ` +
        `(durability ${options.durability}, overlappingSync ${options.overlappingSync}); every process must open an LMDB environment with the same sync flags`,
      { details: { path: env.path, stored: f.sync, requested: mode, pids: others } },
    );
  }
  writeTransaction(env, () => {
    env.meta.put(META_FORMAT, Buffer.from(JSON.stringify({ ...f, sync: mode })));
  });
}
