import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** Bytes kept of each end of an oversized message, to find its id and method in. */
const EDGE = 512;
const ID = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")/;

/**
 * MCP's stdio framing (one JSON-RPC message per line) with a bound on a message's size. The SDK's
 * own stdio transport closes the whole connection when a message passes its buffer's bound; this
 * one skips that message to its newline and answers it (a tool call with a tool error, any other
 * request with a JSON-RPC error), found by the id at either end of its text, and goes on serving.
 */
export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private chunks: Buffer[] = [];
  private size = 0;
  private oversized = false;
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  private closed = false;

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: NodeJS.WritableStream,
    /** Largest message, in bytes. */
    private readonly maxMessageBytes: number,
  ) {}

  async start(): Promise<void> {
    this.stdin.on("data", this.onData);
    this.stdin.on("error", this.onStreamError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.stdout.once("drain", resolve);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off("data", this.onData);
    this.stdin.off("error", this.onStreamError);
    this.chunks = [];
    this.onclose?.();
  }

  private readonly onStreamError = (err: Error) => this.onerror?.(err);

  private readonly onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      this.take(nl === -1 ? buf.subarray(start) : buf.subarray(start, nl));
      if (nl === -1) return;
      this.endOfLine();
      start = nl + 1;
    }
  };

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    this.size += piece.length;
    if (!this.oversized && this.size > this.maxMessageBytes) {
      this.oversized = true;
      this.head = Buffer.concat([...this.chunks, piece]).subarray(0, EDGE);
      this.chunks = [];
    }
    if (this.oversized) this.tail = Buffer.concat([this.tail, piece]).subarray(-EDGE);
    else this.chunks.push(piece);
  }

  private endOfLine(): void {
    const { chunks, size, oversized, head, tail } = this;
    this.chunks = [];
    this.size = 0;
    this.oversized = false;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    if (oversized) {
      this.refuse(head.toString("latin1"), tail.toString("latin1"), size);
      return;
    }
    const line = Buffer.concat(chunks, size).toString("utf8").replace(/\r$/, "");
    if (line.trim() === "") return;
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(line));
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.onmessage?.(message);
  }

  private refuse(head: string, tail: string, size: number): void {
    const id = ID.exec(tail)?.[1] ?? ID.exec(head)?.[1];
    const limit = this.maxMessageBytes;
    const text = `E_VALIDATION: the request is ${size} bytes, over the limit of ${limit} bytes per message. Send less at once.`;
    if (id === undefined) {
      this.onerror?.(new Error(`${text} (no request id found: not answered)`));
      return;
    }
    const reqId = JSON.parse(id) as string | number;
    const response: JSONRPCMessage = /"method"\s*:\s*"tools\/call"/.test(head)
      ? { jsonrpc: "2.0", id: reqId, result: { isError: true, content: [{ type: "text", text }] } }
      : { jsonrpc: "2.0", id: reqId, error: { code: -32600, message: text } };
    void this.send(response);
  }
}
