import { closeSync, constants, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DIR_MODE, FILE_MODE, unlinkQuietly } from "./atomic-file.js";
import { type ProcessIdentity, SELF } from "./process-info.js";

// The store lock's owner record: who holds the write lock (which process incarnation, which
// adapter instance), written once per instance under owners/ and hard-linked into the lock
// directory on every acquisition by StoreLock (store-lock.ts), which owns the locking protocol.

/** The holder of the store lock: its process identity, the adapter instance's token, when written. */
export interface OwnerRecord extends ProcessIdentity {
  readonly token: string;
  readonly at: string;
}

const OWNER_BUFFER = Buffer.alloc(4096);

/** Writes this process's owner record for the adapter instance `token` under `<root>/owners/`; returns its path. */
export function createOwnerRecord(root: string, token: string): string {
  const dir = join(root, "owners");
  try {
    mkdirSync(dir, { mode: DIR_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const path = join(dir, `${SELF.pid}-${SELF.start}-${token}.json`);
  const owner: OwnerRecord = { ...SELF, token, at: new Date().toISOString() };
  unlinkQuietly(path);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
  try {
    writeSync(fd, JSON.stringify(owner));
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(path);
    throw err;
  }
  closeSync(fd);
  return path;
}

/** The owner record at `ownerFile` (the lock directory's), or undefined when absent or unreadable. */
export function readOwnerRecord(ownerFile: string): Partial<OwnerRecord> | undefined {
  try {
    // One read into a small buffer: an owner record is a few hundred bytes, and this runs on
    // every commit and release.
    let fd: number;
    try {
      fd = openSync(ownerFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    let n: number;
    try {
      n = readSync(fd, OWNER_BUFFER, 0, OWNER_BUFFER.length, 0);
    } finally {
      closeSync(fd);
    }
    const v: unknown = JSON.parse(OWNER_BUFFER.toString("utf8", 0, n));
    return typeof v === "object" && v !== null ? (v as Partial<OwnerRecord>) : undefined;
  } catch {
    return undefined;
  }
}
