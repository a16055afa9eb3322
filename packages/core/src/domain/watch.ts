import type { ChangeSet, StorageAdapter } from "../spi/types.js";
import { checkWatchOptions } from "../validation.js";
import { AGENT_INDEX, COLLECTION, SEP } from "./collections.js";
import { EntryFilter, type WatchFilterSource } from "./watch-filter.js";
import type { WatchOptions } from "./watch-options.js";

export type { WatchOptions } from "./watch-options.js";
export { checkWatchOptions } from "../validation.js";

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

/** The session filter's source in process: the agents' session index and records, read from the adapter. */
export function adapterFilterSource(adapter: StorageAdapter): WatchFilterSource {
  return {
    async sessionAgents(session) {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const page = await adapter.list(COLLECTION.agents, {
          index: AGENT_INDEX.session,
          prefix: `${session}${SEP}`,
          limit: 1_000,
          ...(after !== undefined && { after }),
        });
        for (const r of page.records) ids.push(r.id);
        after = page.cursor;
      } while (after !== undefined);
      return ids;
    },
    async agentSession(agentId) {
      const r = await adapter.get(COLLECTION.agents, agentId);
      const sessionId = (r?.value as { sessionId?: unknown } | undefined)?.sessionId;
      return r === undefined ? undefined : typeof sessionId === "string" ? sessionId : "";
    },
  };
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
  const filter = new EntryFilter(adapterFilterSource(adapter), options);
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
