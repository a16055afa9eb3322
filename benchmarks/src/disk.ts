import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Bytes a directory tree really occupies on disk: st_blocks × 512 summed over every entry. */
export async function diskUsage(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined) return 0;
  let total = st.blocks * 512;
  if (st.isDirectory()) {
    for (const name of await readdir(path)) total += await diskUsage(join(path, name));
  }
  return total;
}
