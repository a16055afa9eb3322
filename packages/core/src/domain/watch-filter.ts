import type { ChangeEntry, ChangeSet } from "../spi/types.js";
import { COLLECTION } from "./collections.js";
import type { WatchOptions } from "./watch-options.js";

// Agents known not to belong to the watched session; bounded so a long watch cannot grow without end.
const MAX_FOREIGN_AGENTS = 10_000;

/**
 * Where a session filter learns which agents belong to the session: the adapter in process, the
 * domain API in the daemon (which serves the same filter over `/v1/events`).
 */
export interface WatchFilterSource {
  /** The ids of the session's agents now. */
  sessionAgents(session: string): Promise<readonly string[]>;
  /** The session of an agent, or undefined when the agent does not exist (any more). */
  agentSession(agentId: string): Promise<string | undefined>;
}

/**
 * Decides which entries of a change set a watcher wants (`collections`, `session`). One per watch:
 * it remembers the session's agents as it sees them, so it must see the change sets in order.
 */
export class EntryFilter {
  private readonly collections: ReadonlySet<string> | undefined;
  private readonly session: string | undefined;
  private readonly agents = new Set<string>();
  private readonly foreignAgents = new Set<string>();

  constructor(
    private readonly source: WatchFilterSource,
    options: Pick<WatchOptions, "collections" | "session">,
  ) {
    this.collections = options.collections === undefined ? undefined : new Set(options.collections);
    this.session = options.session;
  }

  /** True when the filter keeps every entry (nothing to read, nothing to remember). */
  get passesAll(): boolean {
    return this.collections === undefined && this.session === undefined;
  }

  /** Learns the session's existing agents, so their later changes are recognised without a read. */
  async start(): Promise<void> {
    if (this.session === undefined) return;
    for (const id of await this.source.sessionAgents(this.session)) this.agents.add(id);
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
    const sessionId = await this.source.agentSession(e.id);
    if (sessionId === this.session) {
      this.agents.add(e.id);
      return true;
    }
    if (sessionId !== undefined) {
      if (this.foreignAgents.size >= MAX_FOREIGN_AGENTS) this.foreignAgents.clear();
      this.foreignAgents.add(e.id);
    }
    return false;
  }
}
