// Runs only the full profile's PostgreSQL sweep points the issue names (25 processes × 200
// increments; the 100,000-session listing), through the harness's own jobs and child processes.
//   node benchmarks/scripts/postgres-full-points.mjs OUT.json [strict] [relaxed]   (after a build)
// The whole full profile would also run 1–50 processes and 10–100,000 sessions in both modes.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROFILES, fillRatios, planJobs, runJob } from "../dist/index.js";
import { startTestServer } from "@statehouse/adapter-postgres/testing";
const [out, ...durs] = process.argv.slice(2);
const want = durs.length ? durs : ["strict"];
const jobs = planJobs(PROFILES.full, { adapters: ["postgres"], scenarios: ["concurrency", "session-count"] }).filter(
  (j) => want.includes(j.durability) && (j.params.procs === 25 || j.params.sessions === 100_000),
);
console.log(jobs.map((j) => `${j.scenario} ${j.durability} ${JSON.stringify(j.params)}`).join("\n"));
const server = startTestServer();
process.env.STATEHOUSE_BENCH_PG_URL = server.url("postgres");
const results = [];
try {
  for (const job of jobs) {
    const t0 = Date.now();
    const rs = await runJob(job, { storeRoot: join(tmpdir(), "statehouse-bench") });
    console.log(job.scenario, JSON.stringify(job.params), `${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const r of rs) console.log(" ", r.op, r.status, JSON.stringify(r.stats ? { median: r.stats.median, p99: r.stats.p99, throughput: r.stats.throughput, count: r.stats.count } : r.error), JSON.stringify(r.check ?? ""), r.wallMs ?? "", r.note ?? "");
    results.push(...rs);
  }
} finally {
  server.stop();
}
fillRatios(results);
writeFileSync(out, JSON.stringify(results, null, 1));
