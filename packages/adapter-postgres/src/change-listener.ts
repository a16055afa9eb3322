import type pg from "pg";

/** The channel every commit notifies (statehouse_commit: `pg_notify(CHANNEL, '<schema>:<seq>')`). */
export const CHANNEL = "statehouse_changes";

/** While the listener is not connected, a waiter is woken this often, so watchers fall back to polling. */
const FALLBACK_POLL_MS = 25;

export interface ListenerConnection {
  readonly client: pg.ClientBase;
  /** Closes the connection (or destroys a pool's client rather than give back one that listens). */
  dispose(): void;
}

export interface ChangeListenerOptions {
  /** The store's schema: notifications of other schemas in the database are ignored. */
  readonly schema: string;
  /** Opens a connection of its own, kept while listening; `dispose` closes it. */
  connect(): Promise<ListenerConnection>;
  /** The store's sequence, read on the listener's connection. */
  readSequence(client: pg.ClientBase): Promise<number>;
  /** How often the idle connection is checked and the sequence read again. */
  readonly heartbeatMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The wake-up of watchers: a LISTEN on a connection of its own. A notification is a hint only
 * (watchers read `changes()` from their own cursor), so a lost one costs latency, never data: the
 * heartbeat reads the sequence again every `heartbeatMs`, and so does every (re)connection, right
 * after its LISTEN, so a commit made while the connection was down wakes the waiters at once.
 * Started by the first waiter; a process that never watches holds no extra connection.
 */
export class ChangeListener {
  /** The highest sequence known to be committed (from a notification or a read). */
  private known = 0;
  private live = false;
  private closed = false;
  private running: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  /** Ends the heartbeat's sleep early: the connection was lost, or the listener is closing. */
  private interrupt: (() => void) | undefined;

  constructor(private readonly options: ChangeListenerOptions) {}

  /**
   * Resolves once a sequence greater than `after` is known to be committed, after `timeoutMs`, when
   * `signal` aborts, or when the connection is lost; while not connected, within FALLBACK_POLL_MS.
   */
  wait(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted === true || this.known > after) return Promise.resolve();
    this.running ??= this.run();
    const bound = this.live ? timeoutMs : Math.min(timeoutMs, FALLBACK_POLL_MS);
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, bound);
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Whether the LISTEN connection is up (for tests and diagnostics). */
  get listening(): boolean {
    return this.live;
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  private advance(seq: number): void {
    if (Number.isSafeInteger(seq) && seq > this.known) {
      this.known = seq;
      this.wakeAll();
    }
  }

  private async run(): Promise<void> {
    const prefix = `${this.options.schema}:`;
    for (let attempt = 0; !this.closed; attempt++) {
      let connection: ListenerConnection;
      try {
        connection = await this.options.connect();
      } catch {
        // Unreachable: waiters poll meanwhile; try again with backoff (25 ms … 1 s).
        await sleep(Math.min(1000, 25 * 2 ** attempt));
        continue;
      }
      const client = connection.client;
      if (this.closed) {
        connection.dispose();
        return;
      }
      let lost = false;
      const onLost = (): void => {
        lost = true;
        this.interrupt?.();
      };
      // Without an 'error' listener, a server crash would end the process (an uncaught error event).
      client.on("error", onLost);
      client.on("end", onLost);
      client.on("notification", (msg) => {
        if (msg.channel === CHANNEL && msg.payload?.startsWith(prefix) === true) this.advance(Number(msg.payload.slice(prefix.length)));
      });
      try {
        await client.query(`LISTEN ${CHANNEL}`);
        // LISTEN first, then the read: a commit is either seen by the read or notified after it.
        this.advance(await this.options.readSequence(client));
        this.live = true;
        attempt = -1;
        while (!this.closed && !lost) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.options.heartbeatMs);
            this.interrupt = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.interrupt = undefined;
          if (this.closed || lost) break;
          // The heartbeat: proves the connection alive, and catches a notification that never came.
          this.advance(await this.options.readSequence(client));
        }
      } catch {
        // Lost while listening or reading: reconnect below.
      } finally {
        this.live = false;
        client.removeListener("end", onLost);
        // Keep a no-op 'error' listener: the destroyed client may still report its socket's end.
        client.removeListener("error", onLost);
        client.on("error", () => undefined);
        connection.dispose();
        // Waiters go back to polling (which rides out the outage through the adapter's retries).
        this.wakeAll();
      }
    }
  }

  /** Stops listening and gives the connection back (destroyed); wakes every waiter. */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt?.();
    this.wakeAll();
    await this.running;
  }
}
