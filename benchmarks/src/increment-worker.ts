/**
 * One of the N processes of the concurrency scenario: opens the store in process and increments
 * the shared counter (the loop and its report: worker-loop.ts).
 */
import type { Durability } from "@statehouse/core";
import { openBenchStore } from "./open-store.js";
import { runIncrementWorker } from "./worker-loop.js";

const [url, durability, countText] = process.argv.slice(2);
runIncrementWorker(async () => {
  const store = await openBenchStore(url!, { durability: durability === "" ? undefined : (durability as Durability) });
  return {
    increment: () => store.increment("counter", "/n"),
    warm: () => store.queryValue("counter", "/n"),
    close: () => store.close(),
  };
}, Number(countText));
