import { NotFoundError, StatehouseError } from "@statehouse/core";
import { fromSystemError } from "@statehouse/core/spi";
import { refuseWhenForwarded } from "./forwarded.js";

// node:fs/promises is imported on first use: the CLI is bundled into one file, where a static
// import would load it (and what it pulls in) on every run, even `state get`.

/** Reads a whole file as UTF-8; E_NOT_FOUND if it does not exist, another typed error if it cannot be read. */
export async function readText(file: string | URL): Promise<string> {
  // A relative path names a file of the client's working directory, not the daemon's.
  if (typeof file === "string") refuseWhenForwarded("reads a file");
  const { readFile } = await import("node:fs/promises");
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT")
      throw new NotFoundError(`no such file: ${String(file)}`, { cause: err, details: { file: String(file) } });
    throw fromSystemError(err, `reading ${String(file)}`);
  }
}

/** Writes a file created (or truncated) with mode 0600, synced to disk before it resolves. */
export async function writePrivate(file: string, text: string): Promise<void> {
  const { open } = await import("node:fs/promises");
  try {
    const fh = await open(file, "w", 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(text, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw fromSystemError(err, `writing ${file}`);
  }
}

/** A file being written by `writePrivateAtomic`: write text, waiting for `drain` when it returns false. */
export type PrivateFileStream = import("node:stream").Writable;

/**
 * Writes a file through `fill`, which writes text into the stream it is given, a chunk at a time, so
 * the file is never held whole (an export of a large store exceeds the longest string V8 can make):
 * into a new temporary file beside `file` (0600, exclusive), synced, then renamed over `file`. An
 * interrupted or failed write leaves the previous file intact and removes the temporary one, and a
 * symlink at `file` is replaced, never followed.
 */
export async function writePrivateAtomic<T>(file: string, fill: (stream: PrivateFileStream) => Promise<T>): Promise<T> {
  const { createWriteStream } = await import("node:fs");
  const { open, rename, unlink } = await import("node:fs/promises");
  const { basename, dirname, join } = await import("node:path");
  const { randomBytes } = await import("node:crypto");
  const { finished } = await import("node:stream/promises");
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let result: T;
  // wx: a new file only, never one planted at the name; flush: fsync before the descriptor is closed.
  const stream = createWriteStream(tmp, { flags: "wx", mode: 0o600, flush: true, highWaterMark: 4 * 1024 * 1024 });
  try {
    result = await fill(stream);
    stream.end();
    // Resolves once the file is flushed and closed; rejects with the first write (or open) error.
    await finished(stream);
    await rename(tmp, file);
  } catch (err) {
    stream.destroy();
    await unlink(tmp).catch(() => undefined);
    if (err instanceof StatehouseError) throw err;
    throw fromSystemError(err, `writing ${file}`);
  }
  // The rename is durable only once the directory is synced.
  try {
    const d = await open(dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // some filesystems refuse to sync a directory: the file itself is synced
  }
  return result;
}
