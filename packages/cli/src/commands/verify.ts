import { CorruptError, type StorageAdapter } from "@statehouse/core";
import { type StoreDigest, digest, readAll } from "../store-io/records.js";

/** Reads the target back and compares counts and checksums with what was meant to be written. */
export async function verifyCopy(target: StorageAdapter, expected: StoreDigest, url: string): Promise<void> {
  const actual = digest((await readAll(target)).records);
  const problems: string[] = [];
  for (const [c, d] of Object.entries(expected.collections)) {
    const a = actual.collections[c] ?? { count: 0, checksum: "(missing)" };
    if (a.count !== d.count) problems.push(`${c}: ${a.count} records, expected ${d.count}`);
    else if (a.checksum !== d.checksum) problems.push(`${c}: checksum ${a.checksum}, expected ${d.checksum}`);
  }
  if (problems.length > 0) {
    throw new CorruptError(`the copy in ${url} does not match its source: ${problems.join("; ")}`, { details: { issues: problems } });
  }
}
