import { ValidationError } from "../errors.js";
import type { ChangeEntry, ChangeSet, StorageAdapter } from "../spi/types.js";
import { validateId } from "../validation.js";
import { AGENT_INDEX, COLLECTION, SEP } from "./collections.js";

/** Options of `Store.watch`. */
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

/** A committed change set, as delivered to a watcher (entries filtered by the watch's options). */
export interface WatchChangeSet extends ChangeSet {
  readonly type: "changes";
}

/**
 * The change sets after `since` are no longer retained (the change log was trimmed): the watcher
 * missed some and must re-read whatever it mirrors. The iteration carries on from `oldest`, the
 * oldest change set still retained.
 */
export interface WatchReset {
  readonly type: "reset";
  /** The sequence the watcher asked to continue after. */
  readonly since: number;
  /** The oldest retained sequence: delivery resumes with it. */
  readonly oldest: number;
  /** The store's sequence when the gap was found. */
  readonly sequence: number;
}

export type WatchEvent = WatchChangeSet | WatchReset;

const DEFAULT_POLL_MS = 10;
const DEFAULT_IDLE_POLL_MS = 30;
// How long after the last change set a watcher keeps polling at `pollMs` before it slows down.
const ACTIVE_SPELL_MS = 1_000;
const DEFAULT_BATCH = 1_000;
// The longest a watcher woken by its adapter (`waitForChange`) goes without reading the sequence.
const WAKE_BOUND_MS = 1_000;
// Agents known not to belong to the watched session; bounded so a long watch cannot grow without end.
const MAX_FOREIGN_AGENTS = 10_000;

function checkInt(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`watch option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      details: { issues: [`bad ${name}`] },
    });
  }
}

/** Validates the options at the call, so a bad option fails where it is written, not at the first `next()`. */
export function checkWatchOptions(options: WatchOptions): void {
  checkInt("since", options.since, 0, Number.MAX_SAFE_INTEGER);
  checkInt("pollMs", options.pollMs, 1, 60_000);
  checkInt("idlePollMs", options.idlePollMs, 1, 60_000);
  checkInt("batchSize", options.batchSize, 1, 10_000);
  if (options.session !== undefined) validateId(options.session, "session id");
  if (options.collections !== undefined) {
    if (!Array.isArray(options.collections) || options.collections.some((c) => typeof c !== "string" || c.length === 0)) {
      throw new ValidationError("watch option collections must be an array of collection names", {
        details: { issues: ["bad collections"] },
      });
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Decides which entries of a change set a watcher wants. */
class EntryFilter {
  private readonly collections: ReadonlySet<string> | undefined;
  private readonly agents = new Set<string>();
  private readonly foreignAgents = new Set<string>();

  constructor(
    private readonly adapter: StorageAdapter,
    options: WatchOptions,
    private readonly session = options.session,
  ) {
    this.collections = options.collections === undefined ? undefined : new Set(options.collections);
  }

  /** Learns the session's existing agents, so their later changes are recognised without a read. */
  async start(): Promise<void> {
    if (this.session === undefined) return;
    let after: string | undefined;
    do {
      const page = await this.adapter.list(COLLECTION.agents, {
        index: AGENT_INDEX.session,
        prefix: `${this.session}${SEP}`,
        limit: 1_000,
        ...(after !== undefined && { after }),
      });
      for (const r of page.records) this.agents.add(r.id);
      after = page.cursor;
    } while (after !== undefined);
  }

  async keep(set: ChangeSet): Promise<ChangeEntry[]> {
    const out: ChangeEntry[] = [];
    for (const e of set.changes) {
      if (this.collections !== undefined && !this.collections.has(e.collection)) continue;
      if (this.session === undefined || (await this.ofSession(e))) out.push(e);
    }
    return out;
  }

  private async ofSession(e: ChangeEntry): Promise<boolean> {
    if (e.collection === COLLECTION.sessions || e.collection === COLLECTION.sessionState) return e.id === this.session;
    if (e.collection !== COLLECTION.agents) return false;
    if (this.agents.has(e.id)) return true;
    if (e.type === "delete" || this.foreignAgents.has(e.id)) return false;
    const r = await this.adapter.get(COLLECTION.agents, e.id);
    const sessionId = (r?.value as { sessionId?: unknown } | undefined)?.sessionId;
    if (sessionId === this.session) {
      this.agents.add(e.id);
      return true;
    }
    if (r !== undefined) {
      if (this.foreignAgents.size >= MAX_FOREIGN_AGENTS) this.foreignAgents.clear();
      this.foreignAgents.add(e.id);
    }
    return false;
  }
}

/**
 * The change sets committed to the store (by any process), in sequence order, each once. Built on
 * the SPI's `sequence()` and `changes()`: an idle watcher reads the sequence every `pollMs` (or, on an
 * adapter with `waitForChange`, when the adapter wakes it), and reads change sets only when it has
 * moved. A gap (change sets trimmed before the watcher read them) is
 * reported as a `reset` event, never skipped silently.
 */
export async function* watchChanges(adapter: StorageAdapter, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
  checkWatchOptions(options);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const idlePollMs = Math.max(pollMs, options.idlePollMs ?? DEFAULT_IDLE_POLL_MS);
  let lastChange = Date.now();
  const batch = options.batchSize ?? DEFAULT_BATCH;
  const signal = options.signal;
  const filter = new EntryFilter(adapter, options);
  // A function, not a narrowed property: the signal is aborted from outside between awaits.
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) return;
  let cursor = options.since ?? (await adapter.sequence());
  await filter.start();
  while (!aborted()) {
    const head = await adapter.sequence();
    if (head <= cursor) {
      // An adapter that is notified of commits wakes the watcher itself; the sequence is still
      // read at least every WAKE_BOUND_MS (or idlePollMs if longer), in case a wake-up is lost.
      if (adapter.waitForChange !== undefined) await adapter.waitForChange(cursor, Math.max(idlePollMs, WAKE_BOUND_MS), signal);
      else await sleep(Date.now() - lastChange < ACTIVE_SPELL_MS ? pollMs : idlePollMs, signal);
      continue;
    }
    lastChange = Date.now();
    const sets = await adapter.changes(cursor, batch);
    const first = sets[0];
    if (first === undefined || first.sequence !== cursor + 1) {
      // Trimmed past the cursor: say so, then carry on from the oldest retained change set.
      const oldest = first?.sequence ?? head + 1;
      yield { type: "reset", since: cursor, oldest, sequence: head };
      cursor = oldest - 1;
      continue;
    }
    for (const set of sets) {
      if (set.sequence !== cursor + 1) break; // never skip: the next read starts at the cursor again
      cursor = set.sequence;
      const changes = await filter.keep(set);
      if (changes.length > 0) yield { type: "changes", sequence: set.sequence, at: set.at, changes };
      if (aborted()) return;
    }
  }
}
