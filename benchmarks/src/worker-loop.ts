import { errorText } from "./scenario.js";

/** What a concurrency worker reports to the parent when its increments are done. */
export interface WorkerDone {
  type: "done";
  samples: number[];
  errors: number;
  firstError?: string | undefined;
  maxRssBytes: number;
}

/** What a worker increments: the shared counter, through whichever API the scenario measures. */
export interface Incrementer {
  increment(): Promise<unknown>;
  /**
   * One untimed call made before the worker says it is ready (a read of the counter): the first
   * call of a fresh process loads and compiles its code paths and opens its connection, and with
   * 50 processes starting on 2 cores that cold call, not the store, would be the p99.
   */
  warm(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The body of every concurrency worker process (direct or through the daemon): opens its store,
 * makes its warm-up call, says it is ready, waits for the common start signal, then times each of `count` increments and
 * reports them (WorkerDone) over the IPC channel.
 */
export function runIncrementWorker(open: () => Promise<Incrementer>, count: number): void {
  main(open, count).catch((err) => {
    process.send?.({ type: "error", message: errorText(err) }, () => process.exit(1));
  });
}

async function main(open: () => Promise<Incrementer>, count: number): Promise<void> {
  const store = await open();
  await store.warm();
  await new Promise<void>((resolve) => {
    process.once("message", () => resolve());
    process.send!({ type: "ready" });
  });
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    try {
      await store.increment();
      samples.push(performance.now() - t0);
    } catch (err) {
      errors++;
      firstError ??= errorText(err);
    }
  }
  await store.close();
  const done: WorkerDone = { type: "done", samples, errors, firstError, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.send!(done, () => process.disconnect());
}
