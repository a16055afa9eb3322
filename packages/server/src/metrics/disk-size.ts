import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Entries looked at, at most, when the store is a directory: the gauge must stay cheap at scrape time. */
const MAX_ENTRIES = 2000;

/** The local path in a store URL (`sqlite:/x.db`, `lmdb:/x`, `file:/dir`, `file:///dir`), or undefined (memory:, remote). */
export function storePath(storeUrl: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(storeUrl);
  if (m === null || m[2] === undefined || m[2] === "") return undefined;
  let rest = m[2].split("?")[0]!;
  if (rest.startsWith("//")) rest = rest.replace(/^\/\/[^/]*/, "");
  return rest.startsWith("/") ? decodeURIComponent(rest) : undefined;
}

/**
 * Bytes the store takes on disk: the file with its `-wal`/`-shm`/`-lock` siblings, or the files in the
 * directory and its subdirectories up to MAX_ENTRIES entries. Undefined when there is nothing to measure
 * or the directory is too large to walk cheaply.
 */
export async function diskSize(path: string): Promise<number | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (s === undefined) return undefined;
  if (s.isFile()) {
    let total = s.size;
    for (const suffix of ["-wal", "-shm", "-lock"]) total += (await stat(path + suffix).catch(() => undefined))?.size ?? 0;
    return total;
  }
  if (!s.isDirectory()) return undefined;
  let total = 0;
  let seen = 0;
  const dirs = [path];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (++seen > MAX_ENTRIES) return undefined;
      if (e.isDirectory()) dirs.push(join(dir, e.name));
      else if (e.isFile()) total += (await stat(join(dir, e.name)).catch(() => undefined))?.size ?? 0;
    }
  }
  return total;
}
