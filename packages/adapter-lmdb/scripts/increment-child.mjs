// One of measure.mjs's concurrent processes: N atomic increments, printing each one's latency (ms).
// Usage: node increment-child.mjs PATH N [OPTIONS_JSON]
import { open } from "@statehouse/core";

const [path, n, options] = process.argv.slice(2);
const store = await open(`lmdb:${path}`, JSON.parse(options ?? "{}"));
const doc = store.state("counter");
const lat = [];
for (let i = 0; i < Number(n); i++) {
  const s = process.hrtime.bigint();
  await doc.increment("/n");
  lat.push(Number(process.hrtime.bigint() - s) / 1e6);
}
await store.close();
process.stdout.write(JSON.stringify(lat));
