import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runChild } from "@statehouse/conformance/testing";

const SCRIPT = fileURLToPath(new URL("./fixtures/serve-store.mjs", import.meta.url));

/** A server process over one store: the app on a unix socket, as the daemon runs it. */
export interface ServerProcess {
  readonly socket: string;
  readonly url: string;
  readonly proc: ChildProcess;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `fixtures/serve-store.mjs` and resolves once it listens. */
export function startServerProcess(storeUrl: string, socket: string, options: object = {}, limits: object = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const { child: proc, done } = runChild(SCRIPT, [storeUrl, socket, JSON.stringify(options), JSON.stringify(limits)], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      onLine: (line) => {
        if (ready || !line.includes('"ready":true')) return;
        ready = true;
        resolve({
          socket,
          url: `unix:${socket}`,
          proc,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
            const { code } = await done;
            rmSync(socket, { force: true });
            return code;
          },
        });
      },
    });
    void done.then(({ code, stderr }) => {
      if (!ready) reject(new Error(`the server process exited (${code}) before listening: ${stderr.slice(-4000)}`));
    });
  });
}
