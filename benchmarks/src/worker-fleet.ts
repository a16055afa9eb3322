import { type ChildProcess, fork } from "node:child_process";
import { IoError, LockTimeoutError } from "@statehouse/core";
import type { WorkerDone } from "./worker-loop.js";

/** What a fleet of increment workers reported once all of them finished. */
export interface FleetResult {
  readonly done: WorkerDone[];
  /** From the common start signal to the last worker's exit, milliseconds. */
  readonly wallMs: number;
}

function waitFor<T>(what: string, timeoutMs: number, fn: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LockTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    fn(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * Forks `procs` workers (worker-loop.ts bodies) with `args`, waits until every one has opened
 * its store and made its untimed warm-up call, sends them the start signal together, and
 * collects their reports. A worker that fails, exits early or overruns `timeoutMs` fails the
 * whole fleet; the rest are killed.
 */
export async function runFleet(
  worker: string,
  args: readonly string[],
  procs: number,
  timeoutMs: number,
  /** Arguments for worker `i` only, after `args`. */
  own: (i: number) => readonly string[] = () => [],
): Promise<FleetResult> {
  const children: ChildProcess[] = [];
  const done: WorkerDone[] = [];
  try {
    const ready: Promise<void>[] = [];
    const finished: Promise<void>[] = [];
    for (let i = 0; i < procs; i++) {
      const child = fork(worker, [...args, ...own(i)], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
      children.push(child);
      let err = "";
      child.stderr?.on("data", (d: Buffer) => {
        err = (err + d.toString()).slice(-2000);
      });
      ready.push(
        waitFor(`worker ${i} to open the store`, timeoutMs, (resolve, reject) => {
          child.on("message", (m: { type: string; message?: string }) => {
            if (m.type === "ready") resolve();
            if (m.type === "error") reject(new IoError(`worker ${i}: ${m.message}`));
          });
          child.once("exit", (code) => reject(new IoError(`worker ${i} exited (${code}) before it was ready: ${err.trim()}`)));
        }),
      );
      finished.push(
        waitFor(`worker ${i} to finish`, timeoutMs, (resolve, reject) => {
          child.on("message", (m: WorkerDone | { type: "error"; message: string }) => {
            if (m.type === "done") done.push(m);
            if (m.type === "error") reject(new IoError(`worker ${i}: ${m.message}`));
          });
          child.once("exit", (code, signal) => {
            if (code === 0) resolve();
            else reject(new IoError(`worker ${i} exited with ${code ?? signal}: ${err.trim()}`));
          });
        }),
      );
    }
    await Promise.all(ready);
    const t0 = performance.now();
    for (const c of children) c.send("go");
    await Promise.all(finished);
    return { done, wallMs: performance.now() - t0 };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
}
