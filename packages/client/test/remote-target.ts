import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DomainStore, RemoteStoreTarget } from "@statehouse/conformance";
import { open } from "@statehouse/client";
import { type ServerProcess, startServerProcess } from "./serve-process.js";

/**
 * The conformance suite's remote target: a daemon-like server process (the real app on a real unix
 * socket) over the store in the clause's directory, reached through the client. Child processes of
 * multi-process clauses import the client and reach the same socket.
 */
export function daemonTarget(): RemoteStoreTarget {
  const running = new Map<string, ServerProcess>();
  let n = 0;
  return {
    reason: "run through the daemon's HTTP API and the remote client",
    // The built client, by path: the children run in the repository root, which does not depend on it.
    childModule: fileURLToPath(new URL("../dist/index.js", import.meta.url)),
    async serve(dir, storeUrl, options) {
      // Beside the clause directory, not in it: the store's own files stay the only ones there.
      const server = await startServerProcess(storeUrl, join(dir, "..", `d${process.pid}-${n++}.sock`), options);
      running.set(server.url, server);
      return server.url;
    },
    async open(url) {
      return (await open(url)) as unknown as DomainStore;
    },
    async stop(url) {
      const server = running.get(url);
      running.delete(url);
      await server?.stop();
    },
  };
}
