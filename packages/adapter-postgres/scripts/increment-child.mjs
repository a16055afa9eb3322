// One of the measure script's processes: argv url, count. Increments a shared counter `count`
// times, each a read-modify-write transaction over its own pool, then prints "done".
import { openAdapter } from "@statehouse/adapter-postgres";

const [url, count] = process.argv.slice(2);
const adapter = await openAdapter(url, { poolSize: 2, lockTimeoutMs: 120_000 });
for (let i = 0; i < Number(count); i++) {
  await adapter.transact((tx) => {
    const c = tx.get("counters", "shared");
    tx.put("counters", "shared", { n: (c?.value.n ?? 0) + 1 });
  });
}
await adapter.close();
process.stdout.write("done\n");
