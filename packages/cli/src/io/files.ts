import { NotFoundError, fromSystemError } from "@statehouse/core";

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
