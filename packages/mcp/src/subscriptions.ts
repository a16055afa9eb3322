import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Store } from "@statehouse/core";
import { urisOf } from "./uris.js";

/** Change sets read per `changes()` call while catching up. */
const PAGE = 1000;

/**
 * Resource subscriptions over the store's change sequence. While a client holds a subscription,
 * one `sequence()` read per tick tells whether anything committed — by this server or by any other
 * process writing the store directly — and only then are the change sets read and mapped to the
 * subscribed URIs. Without subscriptions nothing is polled.
 */
export class SubscriptionWatcher {
  private readonly subscribed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private seen = 0;
  private polling = false;
  private closed = false;

  constructor(
    private readonly server: McpServer,
    private readonly store: Store,
    private readonly intervalMs: number,
    /** Where errors of a tick go (they never stop the server: the next tick retries). */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Registers the subscribe and unsubscribe handlers; call before the server connects. */
  install(): void {
    const s = this.server.server;
    s.registerCapabilities({ resources: { subscribe: true } });
    s.setRequestHandler(SubscribeRequestSchema, async (req) => {
      await this.subscribe(req.params.uri);
      return {};
    });
    s.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
      this.unsubscribe(req.params.uri);
      return {};
    });
  }

  get size(): number {
    return this.subscribed.size;
  }

  async subscribe(uri: string): Promise<void> {
    if (this.closed) return;
    if (this.subscribed.size === 0) {
      // Changes are reported from now on: what committed before the subscription is in the read that follows it.
      this.seen = await this.store.sequence();
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    this.subscribed.add(uri);
  }

  unsubscribe(uri: string): void {
    this.subscribed.delete(uri);
    if (this.subscribed.size === 0) this.stop();
  }

  close(): void {
    this.closed = true;
    this.subscribed.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll; overlapping ticks are skipped, so a slow store never piles reads up. */
  async tick(): Promise<void> {
    if (this.polling || this.closed || this.subscribed.size === 0) return;
    this.polling = true;
    try {
      const latest = await this.store.sequence();
      if (latest <= this.seen) return;
      const touched = new Set<string>();
      let since = this.seen;
      while (since < latest) {
        const sets = await this.store.changes(since, PAGE);
        if (sets.length === 0) break;
        // A gap (change sets trimmed by retention) means changes may have been missed: report every subscription.
        if (sets[0]!.sequence > since + 1) for (const u of this.subscribed) touched.add(u);
        for (const set of sets) for (const c of set.changes) for (const u of urisOf(c)) if (this.subscribed.has(u)) touched.add(u);
        since = sets.at(-1)!.sequence;
      }
      this.seen = Math.max(since, latest);
      for (const uri of touched) {
        if (this.closed || !this.server.isConnected()) return;
        await this.server.server.sendResourceUpdated({ uri });
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.polling = false;
    }
  }
}
