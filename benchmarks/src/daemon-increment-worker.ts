/**
 * One of the N processes of the daemon-concurrency scenario: connects to the daemon with the
 * remote client and increments the shared counter through it (the loop and its report: worker-loop.ts).
 */
import { open } from "@statehouse/client";
import { runIncrementWorker } from "./worker-loop.js";

const [socket, countText] = process.argv.slice(2);
runIncrementWorker(async () => {
  const store = await open(`unix:${socket}`);
  const doc = store.state("counter");
  return { increment: () => doc.increment("/n", 1), warm: () => doc.at("/n"), close: () => store.close() };
}, Number(countText));
