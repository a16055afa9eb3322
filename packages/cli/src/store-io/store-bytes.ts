import { type Stats, lstatSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Bytes a store occupies on disk, for reports (doctor --compact): the whole directory of a
 * directory store (file:, lmdb:), or a store file with its siblings that share its name
 * (sqlite's -wal and -shm). Undefined for stores without a location (memory:) or that cannot be read.
 */
export function storeBytes(url: string): number | undefined {
  const colon = url.indexOf(":");
  const location = colon < 0 ? "" : url.slice(colon + 1);
  if (location === "") return undefined;
  let st: Stats;
  try {
    st = lstatSync(location);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return directoryBytes(location);
  const name = basename(location);
  let total = 0;
  for (const entry of readdirSync(dirname(location))) {
    if (entry === name || entry.startsWith(`${name}-`)) total += lstatSync(join(dirname(location), entry)).size;
  }
  return total;
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : lstatSync(path).size;
  }
  return total;
}
