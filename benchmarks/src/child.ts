/**
 * The child process of one scenario: `node child.js <job JSON> <result file>`. Each scenario
 * runs in a fresh process so one scenario's heap, caches and native handles never colour
 * another's numbers, and its peak RSS is its own.
 */
import { writeFileSync } from "node:fs";
import { ConfigError } from "@statehouse/core";
import { findAdapter } from "./adapters.js";
import { type Job, errorText, failedResult } from "./scenario.js";
import { findScenario } from "./scenarios/index.js";
import type { BenchResult } from "./types.js";

export interface ChildOutput {
  results: BenchResult[];
}

async function main(): Promise<void> {
  const [jobText, dir, outFile] = process.argv.slice(2);
  const job = JSON.parse(jobText!) as Job;
  const scenario = findScenario(job.scenario);
  if (scenario === undefined) throw new ConfigError(`unknown scenario ${job.scenario}`);
  const adapter = job.adapter === undefined ? undefined : findAdapter(job.adapter);
  if (job.adapter !== undefined && adapter === undefined) throw new ConfigError(`unknown adapter ${job.adapter}`);
  let results: BenchResult[];
  try {
    results = await scenario.run({ job, dir: dir!, adapter, url: adapter?.url(dir!) ?? "" });
  } catch (err) {
    results = scenario.ops(job.params).map((op) => failedResult(job, op, err));
  }
  const rss = process.resourceUsage().maxRSS * 1024;
  const out: ChildOutput = { results: results.map((r) => ({ ...r, maxRssBytes: Math.max(r.maxRssBytes ?? 0, rss) })) };
  writeFileSync(outFile!, JSON.stringify(out));
}

main().then(
  // Exit explicitly: an adapter under test that leaves a handle open must not hang the run.
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${errorText(err)}\n`);
    process.exit(1);
  },
);
