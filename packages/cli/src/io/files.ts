import { NotFoundError } from "@statehouse/core";
import { fromSystemError } from "@statehouse/core/spi";

// node:fs/promises is imported on first use: the CLI is bundled into one file, where a static
// import would load it (and what it pulls in) on every run, even `state get`.

/** Reads a whole file as UTF-8; E_NOT_FOUND if it does not exist, another typed error if it cannot be read. */
export async function readText(file: string | URL): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw new NotFoundError(`no such file: ${String(file)}`, { cause: err, details: { file: String(file) } });
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

/**
 * Writes a file from a stream of text chunks without ever holding it whole (an export of a large
 * store exceeds the longest string V8 can make): into a new temporary file beside `file` (0600,
 * exclusive), synced, then renamed over `file`. An interrupted write leaves the previous file
 * intact, and a symlink at `file` is replaced, never followed.
 */
export async function writePrivateAtomic(file: string, chunks: Iterable<string>): Promise<void> {
  const { open, rename, unlink } = await import("node:fs/promises");
  const { basename, dirname, join } = await import("node:path");
  const { randomBytes } = await import("node:crypto");
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      let batch: string[] = [];
      let size = 0;
      for (const chunk of chunks) {
        batch.push(chunk);
        size += chunk.length;
        // A few MiB per write(2): few system calls, bounded memory.
        if (size >= 4 * 1024 * 1024) {
          await fh.write(batch.join(""), null, "utf8");
          batch = [];
          size = 0;
        }
      }
      if (batch.length > 0) await fh.write(batch.join(""), null, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
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
}
