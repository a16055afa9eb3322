import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { SELF } from "./process-info.js";

/** Files are private to their owner whatever the umask. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

// O_EXCL: never reuse or truncate an existing file; O_NOFOLLOW: a symlink planted at the name
// fails the open instead of redirecting the write to its target.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Temporary names carry the writer's pid and start time so a sweep can tell a dead writer's leftovers from a live one's. */
export const TEMP_PATTERN = /\.(\d+)-(\d*)\.[0-9a-f]{12}\.tmp$/;

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${SELF.pid}-${SELF.start}.${randomBytes(6).toString("hex")}.tmp`);
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Writes `data` to a new temporary file beside `target` (exclusive, no symlink following, mode
 * 0600) and fsyncs it when `sync`. Returns the temporary path; on failure nothing is left behind.
 */
export function writeTemp(target: string, data: Buffer, sync: boolean): string {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, CREATE_FLAGS, FILE_MODE);
  try {
    writeAll(fd, data);
    if (sync) fsyncSync(fd);
  } catch (err) {
    closeQuietly(fd);
    unlinkQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

/**
 * Publishes a complete temporary file under `target` only if no file has that name: link(2)
 * never replaces, so two writers racing for one name cannot both win. Returns false if a regular
 * file has the name; anything else planted there (a symlink, say) is removed, never followed.
 * The temporary file is removed either way.
 */
export function publishNew(tmp: string, target: string): boolean {
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, target);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const st = lstatSync(target, { throwIfNoEntry: false });
      if (attempt > 0 || st?.isFile()) return false;
      if (st !== undefined) unlinkSync(target);
    }
  } finally {
    unlinkQuietly(tmp);
  }
}

/** Writes a whole file atomically: temporary, fsync, publish without replacing, fsync the directory. */
export function writeNewFile(target: string, data: Buffer, sync: boolean): boolean {
  const tmp = writeTemp(target, data, sync);
  const published = publishNew(tmp, target);
  if (published && sync) fsyncDir(dirname(target));
  return published;
}

/** Writes a whole file atomically, replacing any previous one. */
export function replaceFile(target: string, data: Buffer, sync: boolean): void {
  const tmp = writeTemp(target, data, sync);
  try {
    renameSync(tmp, target);
  } catch (err) {
    unlinkQuietly(tmp);
    throw err;
  }
  if (sync) fsyncDir(dirname(target));
}

/**
 * Creates `dir` (and missing parents) 0700. With `sync`, the parent of every directory created is
 * fsynced, deepest last: a new directory's entry is otherwise not durable, and a power loss could
 * lose it with every file later published inside it. Returns whether anything was created.
 */
export function makeDir(dir: string, sync: boolean): boolean {
  const first = mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if (first === undefined) return false;
  if (sync) {
    const created: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      created.push(d);
      if (d === first || dirname(d) === d) break;
    }
    for (const d of created.reverse()) fsyncDir(dirname(d));
  }
  return true;
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole file without following symlinks; undefined when it does not exist. */
export function readFileNoFollow(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    let buf = Buffer.allocUnsafe(size);
    let off = 0;
    const probe = Buffer.allocUnsafe(1);
    for (;;) {
      if (off === buf.length) {
        // The file may have grown since fstat (only a foreign writer would do that): a one-byte
        // probe tells, so a file of the expected size is not copied into a bigger buffer.
        if (readSync(fd, probe, 0, 1, off) === 0) break;
        const bigger = Buffer.allocUnsafe(buf.length * 2 + 4096);
        buf.copy(bigger, 0, 0, off);
        bigger[off] = probe[0]!;
        buf = bigger;
        off += 1;
        continue;
      }
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or not ours to remove: nothing to undo
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // the descriptor is unusable either way
  }
}
