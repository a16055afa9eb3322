import type { StatehouseError } from "@statehouse/core";
import { fromSystemError } from "@statehouse/core/spi";

/**
 * The file adapter's engine-error mapper (each adapter has one, `mapEngineError` in
 * `map-engine-error.ts`). This adapter's engine is the file system itself, whose errno codes core's
 * `fromSystemError` already maps (ENOSPC/EDQUOT to E_STORAGE_FULL, EACCES/EPERM/EROFS to E_PERMISSION, else E_IO).
 */
export function mapEngineError(err: unknown, what: string): StatehouseError {
  return fromSystemError(err, what);
}
