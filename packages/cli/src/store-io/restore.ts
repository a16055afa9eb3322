import {
  type AdapterOptions,
  type ChangeSet,
  ConflictError,
  type StorageAdapter,
  ValidationError,
  isStatehouseError,
} from "@statehouse/core";
import { openAdapterUrl, indexKeysFor } from "@statehouse/core/spi";
import { importChangeLog } from "./change-log.js";
import { COLLECTIONS } from "./index-keys.js";
import type { ExportRecord } from "./records.js";

/** Options of `restore`. */
export interface RestoreOptions {
  /** Records per transaction. Default 2,000. */
  chunk?: number;
  /** Options for opening the target (lock timeout; the durability of the last round). Default: the adapter's defaults. */
  adapterOptions?: AdapterOptions;
  /**
   * The source's retained change log, oldest first: written into the copy after the records
   * (`StorageAdapter.importChanges`), so the copy's sequence continues the source's. Default none:
   * the copy's log is its own restore commits.
   */
  changes?: readonly ChangeSet[];
  /** Checks the written store before the restore counts as done; a throw rolls it back. */
  verify?: (adapter: StorageAdapter) => Promise<void>;
}

/** Throws E_CONFLICT unless every domain collection of the store is empty. */
export async function assertEmpty(adapter: StorageAdapter, url: string): Promise<void> {
  for (const c of COLLECTIONS) {
    const n = await adapter.count(c);
    if (n > 0) {
      throw new ConflictError(
        `the target store ${url} is not empty (${n} record${n === 1 ? "" : "s"} in "${c}"); import and migrate only fill an empty store`,
        {
          details: { currentRevision: 0, collection: c, count: n },
        },
      );
    }
  }
}

async function openRelaxed(url: string, base: AdapterOptions): Promise<StorageAdapter> {
  try {
    return await openAdapterUrl(url, { ...base, durability: "relaxed" });
  } catch (err) {
    // An adapter without a relaxed mode refuses the option: fall back to its default.
    if (isStatehouseError(err, "E_CONFIG") || isStatehouseError(err, "E_VALIDATION")) return openAdapterUrl(url, base);
    throw err;
  }
}

/** Puts each record once, conditioned on the revision the previous round left it at. */
async function round(
  adapter: StorageAdapter,
  records: readonly ExportRecord[],
  target: (r: ExportRecord) => number,
  chunk: number,
): Promise<void> {
  for (let i = 0; i < records.length; i += chunk) {
    const slice = records.slice(i, i + chunk);
    await adapter.transact((tx) => {
      for (const r of slice) tx.put(r.collection, r.id, r.value, { ifRevision: target(r) - 1, index: indexKeysFor(r.collection, r.value) });
    });
  }
}

/**
 * Writes every record at its revision with the SPI's `TxContext.restore`: one put per record, in
 * transactions of `chunk` records. False (having written nothing) when the adapter's transactions
 * do not offer it.
 */
async function restoreAtRevisions(adapter: StorageAdapter, records: readonly ExportRecord[], chunk: number): Promise<boolean> {
  for (let i = 0; i < records.length; i += chunk) {
    const slice = records.slice(i, i + chunk);
    const { result } = await adapter.transact((tx) => {
      if (tx.restore === undefined) return false;
      for (const r of slice) tx.restore(r.collection, r.id, r.value, r.revision, { index: indexKeysFor(r.collection, r.value) });
      return true;
    });
    if (!result) return false;
  }
  return true;
}

/** Deletes whatever the restore wrote, so a failed import leaves the target empty again. Best effort. */
async function rollback(adapter: StorageAdapter, records: readonly ExportRecord[], chunk: number): Promise<boolean> {
  try {
    for (let i = 0; i < records.length; i += chunk) {
      const slice = records.slice(i, i + chunk);
      await adapter.transact((tx) => {
        for (const r of slice) tx.delete(r.collection, r.id);
      });
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes records into an empty store with their revisions kept.
 *
 * Through `TxContext.restore` (every adapter built on the SPI's TxBuffer has it): one put per
 * record, whatever its revision, with the adapter's own durability. O(records).
 *
 * An adapter whose transactions lack it gets the SPI's plain puts, which number revisions
 * themselves (each committed put adds exactly 1), so a record exported at revision r is put r
 * times, in r separate transactions. Rounds are aligned to end together: with M the highest
 * revision, a record of revision r is written in rounds M−r+1 … M, so the last round writes every
 * record at its final revision. Every round writes the record's real value and index keys (a reader
 * never sees a placeholder); rounds before the last run with `relaxed` durability and the last one
 * with the adapter's default (`strict`). Cost: Σ revisions puts, so it refuses revisions above
 * MAX_ROUNDS_REVISION.
 *
 * Then the source's change log (`changes`), if given, replaces the copy's own (see change-log.ts).
 *
 * On failure (of a write or of `verify`) the written records are deleted again (best effort) and
 * the error is rethrown with `details.rolledBack`.
 */
export async function restore(url: string, records: readonly ExportRecord[], options: RestoreOptions = {}): Promise<RestoreSummary> {
  const changes = options.changes ?? [];
  const lastChange = changes.at(-1)?.sequence;
  // The copy's own commits must not outnumber the source's sequence, which the imported log takes
  // over: a store of few, large commits is restored in fewer, larger transactions.
  const chunk = Math.max(options.chunk ?? 2000, lastChange === undefined ? 1 : Math.ceil(records.length / lastChange));
  const max = records.reduce((m, r) => Math.max(m, r.revision), 0);
  const base = options.adapterOptions ?? {};
  let adapter = await openAdapterUrl(url, base);
  try {
    await assertEmpty(adapter, url);
  } catch (err) {
    await adapter.close();
    throw err;
  }
  let log: { imported: number; skipped?: string };
  try {
    if (!(await restoreAtRevisions(adapter, records, chunk))) {
      if (max > MAX_ROUNDS_REVISION) {
        throw new ValidationError(
          `the target adapter (${adapter.kind}) cannot write a record at a given revision, and copying revision ${max} would take ` +
            `${max} commits; it copies revisions up to ${MAX_ROUNDS_REVISION}`,
          { details: { issues: ["revision too high for this adapter"], revision: max } },
        );
      }
      await adapter.close();
      adapter = await openRelaxed(url, base);
      await restoreInRounds(adapter, records, max, chunk);
      // An adapter whose data lives only in this process (memory:) must not be reopened.
      if (adapter.capabilities.persistent && adapter.durability === "relaxed" && base.durability !== "relaxed") {
        await adapter.close();
        adapter = await openAdapterUrl(url, base);
      }
      await round(adapter, records, (r) => r.revision, chunk);
    }
    log = await importChangeLog(adapter, changes);
    await options.verify?.(adapter);
  } catch (err) {
    const rolledBack = await rollback(adapter, records, chunk);
    await adapter.close().catch(() => undefined);
    if (isStatehouseError(err)) (err.details as Record<string, unknown>).rolledBack = rolledBack;
    throw err;
  }
  await adapter.close();
  return { changes: log.imported, ...(log.skipped !== undefined && { changesSkipped: log.skipped }) };
}

/** What `restore` wrote beside the records. */
export interface RestoreSummary {
  /** Change sets of the source's log the copy keeps (with their sequences). */
  readonly changes: number;
  /** Why the source's change log was not copied, when it was given and not copied. */
  readonly changesSkipped?: string;
}

/**
 * The highest revision copied to an adapter without `TxContext.restore`: it takes that many commits,
 * so beyond this an edited or hostile export would keep the copy busy for days.
 */
export const MAX_ROUNDS_REVISION = 1_000_000_000;

/** Every round but the last of the fallback (see `restore`). */
async function restoreInRounds(adapter: StorageAdapter, records: readonly ExportRecord[], max: number, chunk: number): Promise<void> {
  const byRevision = [...records].sort((a, b) => b.revision - a.revision);
  for (let k = 1; k < max; k++) {
    // Records still catching up in round k: those with revision ≥ M−k+1, now going to revision k−(M−r).
    const minRevision = max - k + 1;
    let n = 0;
    while (n < byRevision.length && byRevision[n]!.revision >= minRevision) n++;
    await round(adapter, byRevision.slice(0, n), (r) => k - (max - r.revision), chunk);
  }
}
