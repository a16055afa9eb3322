import { type ClientRequest, type IncomingMessage, request } from "node:http";

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** A real event-stream client over a unix socket, collecting parsed events. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: IncomingMessage["headers"] = {};
  text = "";
  ended = false;
  readonly req: ClientRequest;
  res: IncomingMessage | undefined;
  private readonly waiters = new Set<() => void>();
  readonly ready: Promise<void>;

  constructor(socket: string, path = "/v1/events", headers: Record<string, string> = {}) {
    let pending = "";
    this.ready = new Promise((resolve, reject) => {
      this.req = request({ socketPath: socket, path, headers }, (res) => {
        this.res = res;
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          this.text += chunk;
          pending += chunk;
          let at = pending.indexOf("\n\n");
          while (at >= 0) {
            const block = pending.slice(0, at);
            pending = pending.slice(at + 2);
            const ev: SseEvent = {};
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) continue;
              const i = line.indexOf(":");
              const field = line.slice(0, i);
              const value = line.slice(i + 1).replace(/^ /, "");
              if (field === "id" || field === "event" || field === "data") ev[field] = value;
            }
            if (ev.event !== undefined) this.events.push(ev);
            at = pending.indexOf("\n\n");
          }
          this.notify();
        });
        res.on("end", () => {
          this.ended = true;
          this.notify();
        });
        res.on("error", () => {
          this.ended = true;
          this.notify();
        });
        resolve();
      });
      this.req.on("error", (err) => {
        this.ended = true;
        this.notify();
        reject(err);
      });
      this.req.end();
    });
  }

  /** Waits until `predicate` holds (checked on every chunk), or fails after `ms`. */
  until(predicate: () => boolean, ms = 20_000, what = "events"): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events).slice(0, 500)}`));
      }, ms);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  changeSequences(): number[] {
    return this.events.filter((e) => e.event === "change").map((e) => Number(e.id));
  }

  close(): void {
    this.req.destroy();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
