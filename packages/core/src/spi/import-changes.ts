import { ConflictError, ValidationError } from "../errors.js";
import type { ChangeEntry, ChangeSet } from "./types.js";

// Shared by every adapter's `importChanges`: the checks of its input and of the store's sequence,
// so that all five refuse the same things with the same codes.

/**
 * The highest sequence an import accepts: 2^48 − 2, so that the next commit's sequence still fits
 * every adapter's key (LMDB's log keys hold 6 bytes). A real store would need millennia to get there;
 * a crafted export gets E_VALIDATION.
 */
export const MAX_IMPORTED_SEQUENCE = 2 ** 48 - 2;

function invalid(problem: string): ValidationError {
  return new ValidationError(`importChanges: ${problem}`, { details: { issues: [problem] } });
}

function checkEntry(e: ChangeEntry, sequence: number): void {
  const ok =
    typeof e === "object" &&
    e !== null &&
    (e.type === "put" || e.type === "delete") &&
    typeof e.collection === "string" &&
    typeof e.id === "string" &&
    Number.isSafeInteger(e.revision) &&
    e.revision >= 1;
  if (!ok) throw invalid(`change set ${sequence} has a malformed entry`);
}

/**
 * Checks change sets given to `importChanges` (E_VALIDATION): at least one; sequences consecutive
 * integers from 1 to MAX_IMPORTED_SEQUENCE; `at` an ISO time; entries well formed. One pass.
 */
export function checkImportedChanges(changeSets: readonly ChangeSet[]): void {
  if (!Array.isArray(changeSets) || changeSets.length === 0) throw invalid("no change sets to import");
  let previous: number | undefined;
  for (const set of changeSets) {
    const seq = set?.sequence;
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_IMPORTED_SEQUENCE) {
      throw invalid(`sequence ${JSON.stringify(seq)} is not an integer from 1 to ${MAX_IMPORTED_SEQUENCE}`);
    }
    if (previous !== undefined && seq !== previous + 1)
      throw invalid(`sequence ${seq} follows ${previous}: change sets must be consecutive`);
    if (typeof set.at !== "string" || Number.isNaN(Date.parse(set.at))) throw invalid(`change set ${seq} has no valid time`);
    if (!Array.isArray(set.changes)) throw invalid(`change set ${seq} has no entries`);
    for (const e of set.changes) checkEntry(e, seq);
    previous = seq;
  }
}

/**
 * E_CONFLICT unless the store is still at `ifSequence` and the import does not move its sequence
 * back. Adapters call it inside their write transaction (or under their lock) with the store's
 * sequence read there.
 */
export function checkImportSequence(current: number, ifSequence: number, changeSets: readonly ChangeSet[]): void {
  if (current !== ifSequence) {
    throw new ConflictError(
      `importChanges: the store is at sequence ${current}, not ${ifSequence}: another process committed meanwhile; nothing was imported`,
      { details: { currentRevision: 0, sequence: current, expected: ifSequence } },
    );
  }
  const last = changeSets[changeSets.length - 1]!.sequence;
  if (last < current) {
    throw new ConflictError(
      `importChanges: the imported change log ends at sequence ${last}, below the store's ${current}; the sequence must not go back`,
      { details: { currentRevision: 0, sequence: current, last } },
    );
  }
}
