import type { ServerResponse } from "node:http";
import { ALERTS, type Alert, type ChangeSet, EntryFilter, type StoreApi, type WatchFilterSource } from "@statehouse/core";
import type { FastifyBaseLogger } from "fastify";
import type { AppLimits } from "./options.js";

/** Counters of the event stream. */
export interface EventStats {
  /** Streams open now. */
  readonly active: number;
  /** Streams dropped because their client read too slowly (their unsent bytes passed the buffer limit). */
  readonly dropped: number;
  /** Streams refused because `limits.eventStreams` were open. */
  readonly refused: number;
}

interface Stream {
  readonly res: ServerResponse;
  /** The sequence of the last change set sent (or the position the client resumed from). */
  position: number;
  keepAlive: NodeJS.Timeout;
  /** The stream's `collections`/`session` filter, as `store.watch` applies it; none: every change set whole. */
  readonly filter: EntryFilter | undefined;
}

/** What a stream is filtered by (`?collections=a,b&session=ID`), as `WatchOptions` has it. */
export interface StreamFilter {
  readonly collections?: readonly string[];
  readonly session?: string;
}

/** The session filter's source in the daemon: the domain API (the store may be in process or not). */
function storeFilterSource(store: StoreApi): WatchFilterSource {
  return {
    async sessionAgents(session) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.agents.list({ sessionId: session, limit: 1000, ...(cursor !== undefined && { cursor }) });
        for (const a of page.items) ids.push(a.id);
        cursor = page.cursor;
      } while (cursor !== undefined);
      return ids;
    },
    async agentSession(agentId) {
      return (await store.agents.find(agentId))?.sessionId;
    },
  };
}

const PAGE = 1000;

/**
 * Server-sent events of the store's change sets. One poller, shared by every stream and running
 * only while a stream is open, reads `sequence()` and `changes()` from the store: that sees the
 * writes of other processes too, not only those this daemon served. Streams at the same position
 * share one read.
 */
export class EventHub {
  private readonly streams = new Set<Stream>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Streams past canOpen() still reading their start position. */
  private opening = 0;
  private again = false;
  private closed = false;
  private counters = { dropped: 0, refused: 0 };
  readonly stats: EventStats;

  constructor(
    private readonly store: StoreApi,
    private readonly limits: AppLimits,
    private readonly log: FastifyBaseLogger,
  ) {
    const self = this;
    this.stats = {
      get active() {
        return self.streams.size;
      },
      get dropped() {
        return self.counters.dropped;
      },
      get refused() {
        return self.counters.refused;
      },
    };
  }

  /** False when the stream cap is reached (the caller answers 503). */
  canOpen(): boolean {
    if (this.closed || this.streams.size + this.opening >= this.limits.eventStreams) {
      this.counters.refused++;
      return false;
    }
    return true;
  }

  /**
   * Starts a stream on a hijacked response, resuming after `since` (undefined: from now). With a
   * filter, only the change sets (and entries) it keeps are sent, exactly as `store.watch` filters;
   * a run of change sets it drops ends with an id-only event, so a resume starts after them.
   */
  async open(res: ServerResponse, since: number | undefined, filterBy: StreamFilter = {}): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    let position: number;
    const filter =
      filterBy.collections === undefined && filterBy.session === undefined
        ? undefined
        : new EntryFilter(storeFilterSource(this.store), filterBy);
    this.opening++;
    try {
      position = since ?? (await this.store.sequence());
      await filter?.start();
    } finally {
      this.opening--;
    }
    res.write(`retry: 1000\n: resuming after ${position}\n\n`);
    const stream: Stream = {
      res,
      position,
      keepAlive: setInterval(() => this.write(stream, ": keep-alive\n\n"), this.limits.eventKeepAliveMs),
      filter,
    };
    this.streams.add(stream);
    const remove = () => this.remove(stream);
    res.once("close", remove);
    res.once("error", remove);
    this.timer ??= setInterval(() => this.poll(), this.limits.eventPollMs);
    this.poll();
  }

  /** Ends every stream and stops polling (the app is closing). */
  close(): void {
    this.closed = true;
    for (const s of [...this.streams]) {
      this.remove(s);
      s.res.end();
    }
  }

  private remove(stream: Stream): void {
    if (!this.streams.delete(stream)) return;
    clearInterval(stream.keepAlive);
    if (this.streams.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Writes to a stream. A client still holding more than the buffer limit unsent from earlier writes
   * is dropped and counted instead: judged before writing, so one large burst alone drops no one.
   */
  private write(stream: Stream, text: string): boolean {
    if (!this.streams.has(stream)) return false;
    if (stream.res.writableLength > this.limits.eventBufferBytes) {
      this.counters.dropped++;
      this.log.info({ unsent: stream.res.writableLength }, "event stream dropped: the client reads too slowly");
      this.remove(stream);
      stream.res.destroy();
      return false;
    }
    stream.res.write(text);
    return true;
  }

  private poll(): void {
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = true;
    this.tick()
      .catch((err) => this.log.warn({ err }, "event stream poll failed"))
      .finally(() => {
        this.polling = false;
        if (this.again && this.streams.size > 0) {
          this.again = false;
          this.poll();
        }
      });
  }

  private async tick(): Promise<void> {
    if (this.streams.size === 0) return;
    const head = await this.store.sequence();
    const byPosition = new Map<number, Stream[]>();
    for (const s of this.streams) {
      if (s.position === head) continue;
      const group = byPosition.get(s.position);
      if (group === undefined) byPosition.set(s.position, [s]);
      else group.push(s);
    }
    for (const [position, group] of byPosition) {
      if (position > head) {
        // The client's id is from the future: another store, or one restored from a backup.
        for (const s of group) this.reset(s, head, head + 1, "the event id is ahead of the store's sequence");
        continue;
      }
      const sets = await this.store.changes(position, PAGE);
      if (sets.length === 0 || sets[0]!.sequence !== position + 1) {
        // As store.watch does: say so, then carry on from the oldest change set still retained.
        const oldest = sets[0]?.sequence ?? head + 1;
        for (const s of group) this.reset(s, head, oldest, "the event id is older than the change log's retention");
        this.again = true;
        continue;
      }
      const extra = await this.alertEvents(sets);
      for (const s of group) {
        if (s.filter === undefined) this.send(s, sets, extra);
        else await this.sendFiltered(s, s.filter, sets, extra);
      }
      if (sets.length === PAGE) this.again = true;
    }
  }

  /**
   * The `alerts` topic: for change sets that wrote alert records (the daemon's evaluator, or any
   * process), one `alerts` event each with the alerts as they are now, after its `change` event.
   * Read once per poll and shared by every stream; nothing for a store without alerts (a remote one).
   */
  private async alertEvents(sets: readonly ChangeSet[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const alerts = (this.store as { alerts?: { list(o: { all: boolean; limit: number }): Promise<Alert[]> } }).alerts;
    const touched = sets.filter((cs) => cs.changes.some((c) => c.collection === ALERTS && c.type === "put"));
    if (alerts === undefined || touched.length === 0) return out;
    const byId = new Map((await alerts.list({ all: true, limit: 1000 })).map((a) => [a.id, a]));
    for (const cs of touched) {
      const items = cs.changes.filter((c) => c.collection === ALERTS && c.type === "put").flatMap((c) => byId.get(c.id) ?? []);
      if (items.length > 0) out.set(cs.sequence, `event: alerts\ndata: ${JSON.stringify({ sequence: cs.sequence, alerts: items })}\n\n`);
    }
    return out;
  }

  private send(stream: Stream, sets: readonly ChangeSet[], extra: ReadonlyMap<number, string> = new Map()): void {
    let text = "";
    for (const cs of sets) text += `id: ${cs.sequence}\nevent: change\ndata: ${JSON.stringify(cs)}\n\n${extra.get(cs.sequence) ?? ""}`;
    if (this.write(stream, text)) stream.position = sets[sets.length - 1]!.sequence;
  }

  /** The change sets (and entries) the stream's filter keeps; an id-only event for a dropped tail. */
  private async sendFiltered(
    stream: Stream,
    filter: EntryFilter,
    sets: readonly ChangeSet[],
    extra: ReadonlyMap<number, string>,
  ): Promise<void> {
    if (stream.position >= sets[sets.length - 1]!.sequence) return;
    let text = "";
    let last = stream.position;
    for (const cs of sets) {
      if (cs.sequence <= stream.position) continue;
      const changes = await filter.keep(cs);
      if (changes.length > 0) {
        text += `id: ${cs.sequence}\nevent: change\ndata: ${JSON.stringify({ ...cs, changes })}\n\n${extra.get(cs.sequence) ?? ""}`;
        last = cs.sequence;
      }
    }
    const end = sets[sets.length - 1]!.sequence;
    // An event without data dispatches nothing but moves the client's Last-Event-ID past the change
    // sets the filter dropped (the SSE rules), so a reconnect does not scan them again.
    if (last !== end) text += `id: ${end}\n\n`;
    if (this.write(stream, text)) stream.position = end;
  }

  /**
   * The change sets after the stream's position are no longer retained: a `reset` event shaped as
   * `store.watch`'s (`since`, `oldest`, `sequence`; `from` and `reason` too), whose id makes a resume
   * start at `oldest`; the stream then carries on from there.
   */
  private reset(stream: Stream, head: number, oldest: number, reason: string): void {
    const since = stream.position;
    const data = { since, oldest, sequence: head, from: since, reason };
    if (this.write(stream, `id: ${oldest - 1}\nevent: reset\ndata: ${JSON.stringify(data)}\n\n`)) stream.position = oldest - 1;
  }
}
