import { LmdbAdapter } from "./dist/index.js";
import { open as openLmdb } from "lmdb";
import { rmSync } from "node:fs";
rmSync("/tmp/lmx/cpu", { recursive: true, force: true });
const doc1k = { title: "x".repeat(200), items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item ${i}`, done: i % 2 === 0 })) };
async function cpu(label, n, f) { for (let i = 0; i < 500; i++) await f(i); const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint(); for (let i = 0; i < n; i++) await f(i); const c = process.cpuUsage(c0); console.log(label.padEnd(40), "user", (c.user / n).toFixed(2), "sys", (c.system / n).toFixed(2), "wall", (Number(process.hrtime.bigint() - t0) / 1000 / n).toFixed(2)); }
const a = await LmdbAdapter.open("/tmp/lmx/cpu/spi", { durability: "relaxed", relaxedFlushMs: 0 });
await cpu("SPI relaxed put 1KB", 20000, (i) => a.transact((tx) => tx.put("docs", "d", { ...doc1k, n: i })));
await cpu("SPI relaxed put 1KB, 3 index keys", 20000, (i) => a.transact((tx) => tx.put("docs", "s" + (i % 1000), { ...doc1k, n: i }, { index: { a: "x" + i, b: "y" + (i % 7), c: "z" } })));
await a.close();
const raw = openLmdb({ path: "/tmp/lmx/cpu/raw", overlappingSync: false }); const db = raw.openDB({ name: "r", encoding: "binary", keyEncoding: "binary" });
const v = Buffer.from(JSON.stringify(doc1k));
await cpu("raw txSync NOSYNC put 1KB", 20000, (i) => { raw.transactionSync(() => { db.put(Buffer.from("k"), v); }, 0x10002); });
await cpu("raw txSync NOSYNC 4 puts", 20000, (i) => { raw.transactionSync(() => { db.put(Buffer.from("k"), v); db.put(Buffer.from("l" + i), v.subarray(0, 100)); db.put(Buffer.from("m"), v.subarray(0, 8)); db.remove(Buffer.from("l" + (i - 1))); }, 0x10002); });
await raw.close();
