/**
 * One of the N processes of the concurrency scenario: opens the store, says it is ready, waits
 * for the common start signal, then times each of its increments of the shared counter.
 */
import type { Durability } from "@statehouse/core";
import { openBenchStore } from "./open-store.js";
import { errorText } from "./scenario.js";

export interface WorkerDone {
  type: "done";
  samples: number[];
  errors: number;
  firstError?: string | undefined;
  maxRssBytes: number;
}

async function main(): Promise<void> {
  const [url, durability, countText] = process.argv.slice(2);
  const count = Number(countText);
  const store = await openBenchStore(url!, { durability: durability === "" ? undefined : (durability as Durability) });
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
      await store.increment("counter", "/n");
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

main().catch((err) => {
  process.send?.({ type: "error", message: errorText(err) }, () => process.exit(1));
});
