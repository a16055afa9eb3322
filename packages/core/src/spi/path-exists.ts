import { statSync } from "node:fs";
import { fromSystemError } from "../errors.js";

/**
 * Whether a store's file exists, for `create: false`: only a path that is truly absent (ENOENT,
 * ENOTDIR) answers false. A denied look (EACCES) is a permission error, not "no store": a reader
 * without access must hear E_PERMISSION, as every other operation on that store would say.
 */
export function pathExists(path: string, what: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw fromSystemError(err, what);
  }
}
