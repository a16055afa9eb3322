import { createHash } from "node:crypto";
import { type ChangeEntry, type ChangeSet, type StorageAdapter, ValidationError, validateId } from "@statehouse/core";
import { MAX_IMPORTED_SEQUENCE } from "@statehouse/core/spi";
import { isCollection } from "./index-keys.js";

// The change log's part of an export (format 2): the change sets the source still retains, up to
// the sequence the records were read at, one line each after the records. Import and migrate write
// them into the copy with `StorageAdapter.importChanges`, so that a watcher resuming from a
// sequence of the source sees no reset against the copy.

/** Change sets read from the source per call of `changes()`. */
const PAGE = 1000;

/**
 * The retained change sets with a sequence up to `through`, oldest first, a page at a time: an
 * export never holds the whole log (the adapter's retention bounds it; a page bounds memory).
 */
export async function* retainedChanges(adapter: StorageAdapter, through: number): AsyncGenerator<ChangeSet[]> {
  let since = 0;
  while (since < through) {
    const page = (await adapter.changes(since, PAGE)).filter((s) => s.sequence <= through);
    if (page.length === 0) return;
    yield page;
    since = page[page.length - 1]!.sequence;
  }
}

/** A change set's export line (without its newline): `{"sequence":N,"at":ISO,"changes":[…]}`. */
export function changeLine(set: ChangeSet): string {
  const changes = set.changes.map((e) => ({ type: e.type, collection: e.collection, id: e.id, revision: e.revision }));
  return JSON.stringify({ sequence: set.sequence, at: set.at, changes });
}

/** Counts and checksums the change set lines of an export, in order, as written or as read back. */
export class ChangeDigest {
  private readonly hash = createHash("sha256");
  count = 0;

  add(set: ChangeSet): void {
    this.hash.update(`${changeLine(set)}\n`);
    this.count++;
  }

  get checksum(): string {
    return `sha256:${this.hash.copy().digest("hex")}`;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * One change set line of an export, checked: a sequence from 1 to MAX_IMPORTED_SEQUENCE that
 * follows `previous` by exactly 1, an ISO time, well-formed entries of the domain collections.
 * Returns the problem as a sentence, or the change set.
 */
export function parseChangeSet(o: Record<string, unknown>, previous: number | undefined): ChangeSet | string {
  const { sequence, at, changes } = o;
  if (!Number.isSafeInteger(sequence) || (sequence as number) < 1 || (sequence as number) > MAX_IMPORTED_SEQUENCE) {
    return `change set sequence must be an integer from 1 to ${MAX_IMPORTED_SEQUENCE}, got ${JSON.stringify(sequence)}`;
  }
  const seq = sequence as number;
  if (previous !== undefined && seq !== previous + 1) return `change set ${seq} follows ${previous}: the change log must be consecutive`;
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) return `change set ${seq}: "at" must be an ISO time`;
  if (!Array.isArray(changes)) return `change set ${seq}: "changes" must be an array`;
  const entries: ChangeEntry[] = [];
  for (const e of changes) {
    if (!isObject(e) || (e.type !== "put" && e.type !== "delete")) return `change set ${seq}: an entry's type must be "put" or "delete"`;
    if (typeof e.collection !== "string" || !isCollection(e.collection))
      return `change set ${seq}: unknown collection ${JSON.stringify(e.collection)}`;
    try {
      validateId(e.id, "id");
    } catch (err) {
      return `change set ${seq}: ${(err as Error).message}`;
    }
    if (!Number.isSafeInteger(e.revision) || (e.revision as number) < 1)
      return `change set ${seq}: an entry's revision must be a positive integer`;
    entries.push({ type: e.type, collection: e.collection, id: e.id as string, revision: e.revision as number });
  }
  return { sequence: seq, at, changes: entries };
}

/**
 * Keeps the last `capacity` change sets given to `push`, in order: an export with millions of
 * change set lines is read in one pass in bounded memory (an adapter keeps at most its
 * `changeRetention` anyway, so older ones could not be imported).
 */
export class LastChanges {
  private readonly ring: ChangeSet[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new ValidationError(`the change sets kept must be a positive integer, got ${capacity}`, { details: { issues: ["capacity"] } });
    }
  }

  push(set: ChangeSet): void {
    if (this.ring.length < this.capacity) this.ring.push(set);
    else {
      this.ring[this.start] = set;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  toArray(): ChangeSet[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }
}

/**
 * Writes `sets` (the source's retained log) into a copy whose records were just restored, through
 * `importChanges`. Returns how many change sets the copy keeps, or the reason it kept none: an
 * adapter without `importChanges`, or a copy that took more commits than the source's sequence.
 */
export async function importChangeLog(
  adapter: StorageAdapter,
  sets: readonly ChangeSet[],
): Promise<{ imported: number; skipped?: string }> {
  if (sets.length === 0) return { imported: 0 };
  if (adapter.importChanges === undefined) return { imported: 0, skipped: `the ${adapter.kind} adapter cannot import a change log` };
  const ifSequence = await adapter.sequence();
  const last = sets[sets.length - 1]!.sequence;
  if (ifSequence > last) {
    return { imported: 0, skipped: `the copy took ${ifSequence} commits, more than the source's sequence ${last}` };
  }
  const kept = sets.slice(-adapter.capabilities.changeRetention);
  await adapter.importChanges(kept, { ifSequence });
  return { imported: kept.length };
}
