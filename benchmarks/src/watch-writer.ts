/**
 * The writer of the watch-latency scenario: another process than the watcher, as in real use.
 * Commits `count` writes `gapMs` apart and reports, for each, its sequence and the wall-clock time
 * (ms since the epoch, sub-millisecond) at which the commit was acknowledged.
 */
import { open } from "@statehouse/core";
import { errorText } from "./scenario.js";

async function main(): Promise<void> {
  const [url, durability, countText, gapText] = process.argv.slice(2);
  const store = await open(url!, durability === "" ? {} : { durability: durability as "strict" | "relaxed" });
  await new Promise<void>((resolve) => {
    process.once("message", () => resolve());
    process.send!({ type: "ready" });
  });
  const acks: Array<[number, number]> = [];
  for (let i = 0; i < Number(countText); i++) {
    const r = await store.state("watched").set("/i", i);
    acks.push([r.sequence!, performance.timeOrigin + performance.now()]);
    await new Promise((res) => setTimeout(res, Number(gapText)));
  }
  await store.close();
  process.send!({ type: "done", acks }, () => process.disconnect());
}

main().catch((err) => {
  process.send?.({ type: "error", message: errorText(err) }, () => process.exit(1));
});
