/**
 * One of the N processes of the daemon-concurrency scenario: connects to the daemon with the
 * remote client, says it is ready, waits for the common start signal, then times each of its
 * increments of the shared counter through the daemon.
 */
import { open } from "@statehouse/client";
import type { WorkerDone } from "./increment-worker.js";
import { errorText } from "./scenario.js";

async function main(): Promise<void> {
  const [socket, countText] = process.argv.slice(2);
  const count = Number(countText);
  const store = await open(`unix:${socket}`);
  const doc = store.state("counter");
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
      await doc.increment("/n", 1);
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
