import type { StatehouseMcpOptions } from "./options.js";
import { createMcpServer } from "./server.js";
import { BoundedStdioTransport } from "./stdio-transport.js";

/** Options of `serveStdio`. */
export interface ServeStdioOptions extends StatehouseMcpOptions {
  /** Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream;
  /** Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
  /**
   * Largest message read from stdin, in bytes; a larger one is answered with an E_VALIDATION error and
   * skipped. Default 32 MiB: room for a value at the store's default 16 MiB limit, JSON-escaped.
   */
  maxMessageBytes?: number;
  /** Where protocol errors (unparsable messages) are reported. Default: a line on stderr. */
  onError?: (err: Error) => void;
}

/**
 * Serves the store over stdio until the client closes stdin (or `SIGINT`/`SIGTERM`); resolves then,
 * with the server closed. The store stays open for the caller to close.
 */
export async function serveStdio(options: ServeStdioOptions): Promise<void> {
  const server = createMcpServer(options);
  const stdin = (options.stdin ?? process.stdin) as NodeJS.ReadStream;
  const transport = new BoundedStdioTransport(stdin, options.stdout ?? process.stdout, options.maxMessageBytes ?? 32 * 1024 * 1024);
  server.server.onerror = options.onError ?? ((err) => process.stderr.write(`statehouse mcp: ${err.message}\n`));
  await new Promise<void>((resolve, reject) => {
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      stdin.off("end", done);
      stdin.off("close", done);
      server.close().then(resolve, reject);
    };
    // The SDK's stdio transport does not close itself at the end of its input: the client going away must end the server.
    stdin.once("end", done);
    stdin.once("close", done);
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    server.connect(transport).catch(reject);
  });
}
