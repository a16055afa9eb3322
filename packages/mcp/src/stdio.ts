import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { StatehouseMcpOptions } from "./options.js";
import { createMcpServer } from "./server.js";

/** Options of `serveStdio`. */
export interface ServeStdioOptions extends StatehouseMcpOptions {
  /** Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream;
  /** Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
}

/**
 * Serves the store over stdio until the client closes stdin (or `SIGINT`/`SIGTERM`); resolves then,
 * with the server closed. The store stays open for the caller to close.
 */
export async function serveStdio(options: ServeStdioOptions): Promise<void> {
  const server = createMcpServer(options);
  const stdin = (options.stdin ?? process.stdin) as NodeJS.ReadStream;
  const transport = new StdioServerTransport(stdin, (options.stdout ?? process.stdout) as NodeJS.WriteStream);
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
