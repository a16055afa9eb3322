import type { IncomingMessage } from "node:http";
import type { ChangeEntry, WatchEvent, WatchOptions } from "@statehouse/core";
import { ClosedError, IoError, isStatehouseError } from "@statehouse/core/errors";
import { qs } from "./encode.js";
import { SseParser } from "./sse-parser.js";
import type { Transport } from "./transport.js";

/** How a remote watch reconnects; see `ClientOptions.watchReconnectMs`. */
export interface RemoteWatchSettings {
  /** How long a watch keeps trying to reconnect to an unreachable daemon before it throws E_UNAVAILABLE. */
  readonly reconnectMs: number;
}

const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/** An error worth reconnecting for: the daemon unreachable, stopping, or out of stream slots. */
function retryable(err: unknown): boolean {
  return isStatehouseError(err) && (err.code === "E_UNAVAILABLE" || err.code === "E_LOCK_TIMEOUT");
}

function parseData(data: string | undefined, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(data ?? "") as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new IoError(`the daemon sent a ${what} event that is not a JSON object`, { details: { data: (data ?? "").slice(0, 200) } });
}

function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw new IoError(`the daemon sent an event with a bad ${what}`, { details: { [what]: v } });
  return v;
}

/**
 * `store.watch()` over the daemon: one `GET /v1/events` stream (filtered by the daemon with
 * `?collections=&session=`, exactly as `store.watch` filters), parsed here. The position is the last
 * event id; a dropped connection (a daemon restarting, a network cut) is resumed with
 * `Last-Event-ID`, and a change set at or before the position is never delivered twice. The
 * daemon's `reset` event becomes the library's typed reset. Options are checked by the caller.
 */
export async function* remoteWatch(
  t: Transport,
  options: WatchOptions,
  settings: RemoteWatchSettings,
): AsyncGenerator<WatchEvent, void, undefined> {
  const signal = options.signal;
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) return;
  // As in process: without `since`, what commits after the iteration starts (its first next()).
  let cursor = options.since ?? ((await t.send("GET", "/v1/sequence")).body as { sequence: number }).sequence;
  const path = `/v1/events${qs({ collections: options.collections?.join(","), session: options.session })}`;
  let failingSince: number | undefined;
  let attempt = 0;
  while (!aborted()) {
    let res: IncomingMessage;
    try {
      res = await t.openStream(path, { "last-event-id": String(cursor) }, signal);
    } catch (err) {
      if (aborted()) return;
      if (t.closed) throw new ClosedError("the store is closed");
      if (!retryable(err)) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > settings.reconnectMs) throw err;
      await pause(Math.min(1_000, 50 * 2 ** attempt++), signal);
      continue;
    }
    failingSince = undefined;
    attempt = 0;
    const parser = new SseParser();
    try {
      res.setEncoding("utf8");
      for await (const chunk of res as AsyncIterable<string>) {
        for (const m of parser.push(chunk)) {
          if (m.event === "change" && m.data !== undefined) {
            const cs = parseData(m.data, "change");
            const sequence = num(cs.sequence, "sequence");
            if (sequence <= cursor) continue; // already delivered before a reconnect: never twice
            cursor = sequence;
            yield { type: "changes", sequence, at: String(cs.at), changes: cs.changes as ChangeEntry[] };
          } else if (m.event === "reset" && m.data !== undefined) {
            const r = parseData(m.data, "reset");
            const oldest = num(r.oldest, "oldest");
            yield { type: "reset", since: num(r.since, "since"), oldest, sequence: num(r.sequence, "sequence") };
            cursor = oldest - 1;
          } else if (m.data === undefined && m.hasId && m.lastEventId !== undefined && /^[0-9]{1,16}$/.test(m.lastEventId)) {
            // An id-only event: the daemon's filter dropped the change sets up to it.
            cursor = Math.max(cursor, Number(m.lastEventId));
          }
          if (aborted()) return;
        }
      }
    } catch (err) {
      if (aborted()) return;
      if (t.closed) throw new ClosedError("the store is closed");
      if (isStatehouseError(err)) throw err;
      // Anything else is the connection dropping: resume below.
    } finally {
      res.destroy();
    }
    if (aborted()) return;
    if (t.closed) throw new ClosedError("the store is closed");
    // The stream ended (the daemon stopping or dropping a slow reader): reconnect after a breath.
    await pause(Math.min(1_000, 50 * 2 ** attempt++), signal);
  }
}
