import { IoError } from "@statehouse/core/errors";

/** One dispatched server-sent event. */
export interface SseMessage {
  /** The stream's last event id after this event (the `id:` field, or the previous one). */
  readonly lastEventId: string | undefined;
  /** True when the event carried an `id:` field itself. */
  readonly hasId: boolean;
  /** The `event:` field; "message" when there was none. */
  readonly event: string;
  /** The `data:` lines joined by "\n"; undefined when there were none (an id-only event). */
  readonly data: string | undefined;
}

/**
 * The event-stream format (WHATWG HTML, "server-sent events"), incrementally: lines end with LF, CR
 * or CRLF (even split across chunks); `:` lines are comments; a blank line dispatches. As the spec
 * says, an event without data still moves the last event id, which is how the daemon tells a
 * filtered watch how far it has read. Fields are bounded by `maxEventBytes`, so a stream that never
 * ends an event cannot grow the buffer without end.
 */
export class SseParser {
  private buffer = "";
  private pendingCr = false;
  private lastEventId: string | undefined;
  private idSeen = false;
  private event = "";
  private data: string[] | undefined;
  private size = 0;

  constructor(private readonly maxEventBytes = 64 * 1024 * 1024) {}

  /** Feeds a chunk of text; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let text = this.buffer + chunk;
    this.buffer = "";
    // A CR that ended the previous chunk already ended its line: an LF right after it is that same line end.
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(text.slice(start, i), out);
      if (c === 13) {
        if (i + 1 === text.length) this.pendingCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = text.slice(start);
    if (this.size + this.buffer.length > this.maxEventBytes) {
      throw new IoError(`an event of the daemon's event stream passed ${this.maxEventBytes} characters`, {
        details: { limit: this.maxEventBytes },
      });
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      this.dispatch(out);
      return;
    }
    this.size += line.length;
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") (this.data ??= []).push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) {
      this.lastEventId = value;
      this.idSeen = true;
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (this.data !== undefined || this.idSeen) {
      out.push({
        lastEventId: this.lastEventId,
        hasId: this.idSeen,
        event: this.event === "" ? "message" : this.event,
        data: this.data?.join("\n"),
      });
    }
    this.event = "";
    this.data = undefined;
    this.idSeen = false;
    this.size = 0;
  }
}
