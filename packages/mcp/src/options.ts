import type { Store } from "@statehouse/core";

/** Options of `createMcpServer`. */
export interface StatehouseMcpOptions {
  /** The open store the tools and resources work on. The caller opens it and closes it after the server. */
  store: Store;
  /**
   * Largest tool result or resource text, in bytes of UTF-8. A larger one is replaced by a JSON note
   * `{ truncated: true, bytes, maxBytes, preview, hint }` whose preview is the start of the text.
   * Default 65,536: a model's context is the scarce resource, and a narrower query always exists.
   */
  maxResultBytes?: number;
  /**
   * How often the store's change sequence is polled while a client has resource subscriptions, in ms.
   * One `sequence()` read per tick; nothing is polled without subscriptions. Default 250.
   */
  pollIntervalMs?: number;
  /**
   * Largest number of array elements plus object members one tool call's arguments may hold (the
   * SDK refuses more before any schema runs). Default 100,000.
   */
  maxToolInputElements?: number;
  /** The name and version the server reports to clients. Default `statehouse` and this package's version. */
  serverInfo?: { name: string; version: string };
}

export const DEFAULT_MAX_RESULT_BYTES = 65_536;
export const DEFAULT_POLL_INTERVAL_MS = 250;
export const DEFAULT_MAX_TOOL_INPUT_ELEMENTS = 100_000;
