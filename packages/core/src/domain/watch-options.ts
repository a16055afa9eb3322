/**
 * The options of a watch, on their own (types only, no imports) so that `validation.ts` can check
 * them for the remote client without loading the watch loop or the adapter contract.
 */

/** Options of `StoreApi.watch` (in process and remote). */
export interface WatchOptions {
  /** Only changes to these collections (e.g. `state`, `sessions`, `agents`). Default: every collection. */
  collections?: readonly string[];
  /**
   * Only changes of this session: its record, its state document and its agents. Agents are
   * recognised by their record (an agent never changes session), so the delete of an agent the
   * watcher never saw alive is not attributed; deleting a session deletes its agents in the same
   * change set as the session record, which is always delivered.
   */
  session?: string;
  /**
   * Deliver change sets with a sequence greater than this. Default: the store's sequence when the
   * iteration starts (only what is committed from then on). 0 replays everything retained.
   */
  since?: number;
  /** Ends the iteration (cleanly, without an error) when aborted. */
  signal?: AbortSignal;
  /**
   * How often a watcher reads the store's sequence while changes are flowing, in milliseconds (for a
   * second after the last one; then `idlePollMs`). Default 10: one cheap read
   * per tick (a header read for the file adapter, one indexed row for SQLite, one key for LMDB), so
   * commit-to-delivery latency stays well under 50 ms. From 1 to 60,000. Not used on an adapter that
   * wakes its watchers on commit (`waitForChange`: PostgreSQL), which reads the sequence when woken and
   * at least every `idlePollMs` or second, whichever is longer.
   */
  pollMs?: number;
  /**
   * The poll interval once nothing has been committed for a second, in milliseconds. Default 30
   * (never below `pollMs`): an idle watcher then wakes 33 times a second, about 1–1.5 % of a core on
   * a loaded 2-core machine, most of it Node's own timer wake-up; the first change after a quiet
   * spell typically arrives within 10–20 ms. From 1 to 60,000.
   */
  idlePollMs?: number;
  /** Change sets read per call to the adapter. Default 1,000, from 1 to 10,000. */
  batchSize?: number;
}
