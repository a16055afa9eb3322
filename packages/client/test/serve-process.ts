import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

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
  const proc = spawn(process.execPath, [SCRIPT, storeUrl, socket, JSON.stringify(options), JSON.stringify(limits)], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL(".", import.meta.url)),
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    proc.stderr!.on("data", (c) => {
      err = (err + c).slice(-4000);
    });
    proc.stdout!.on("data", (c) => {
      out += c;
      if (out.includes('"ready":true')) {
        resolve({
          socket,
          url: `unix:${socket}`,
          proc,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
            const code = await exited;
            rmSync(socket, { force: true });
            return code;
          },
        });
      }
    });
    proc.once("exit", (code) => reject(new Error(`the server process exited (${code}) before listening: ${err}`)));
  });
}
