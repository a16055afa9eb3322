import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Store, open as openLocal } from "@statehouse/core";
import type { DomainStore, RemoteStoreTarget } from "@statehouse/conformance";
import { type App, createApp } from "@statehouse/server";
import { open } from "@statehouse/client";

/**
 * The conformance suite's remote target: a daemon-like server (the real app on a real unix socket,
 * in the test process) over the store in the clause's directory, reached through the client. Child
 * processes of multi-process clauses import `@statehouse/client` and reach the same socket.
 */
export function daemonTarget(): RemoteStoreTarget {
  const running = new Map<string, { app: App; store: Store; socket: string }>();
  let n = 0;
  return {
    reason: "run through the daemon's HTTP API and the remote client",
    // The built client, by path: the children run in the repository root, which does not depend on it.
    childModule: fileURLToPath(new URL("../dist/index.js", import.meta.url)),
    async serve(dir, storeUrl, options) {
      const store = await openLocal(storeUrl, options as never);
      // Beside the clause directory, not in it: the store's own files stay the only ones there.
      const socket = join(dir, `..`, `d${process.pid}-${n++}.sock`);
      rmSync(socket, { force: true });
      const app = await createApp({ store, storeUrl });
      await app.listen({ path: socket });
      const url = `unix:${socket}`;
      running.set(url, { app, store, socket });
      return url;
    },
    async open(url) {
      return (await open(url)) as unknown as DomainStore;
    },
    async stop(url) {
      const r = running.get(url);
      if (r === undefined) return;
      running.delete(url);
      await r.app.close();
      await r.store.close();
      rmSync(r.socket, { force: true });
    },
  };
}
