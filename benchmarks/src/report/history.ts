import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchResult, RunResult } from "../types.js";

/** A run as kept in `reports/history/`: everything but the raw samples, to keep the folder small. */
export function historyRecord(run: RunResult): RunResult {
  return { ...run, results: run.results.map(({ samples: _samples, ...r }) => r as BenchResult) };
}

export async function appendHistory(dir: string, run: RunResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${run.id}.json`);
  await writeFile(file, `${JSON.stringify(historyRecord(run), null, 1)}\n`);
  return file;
}

/** Earlier runs, oldest first (file names start with the ISO time). */
export async function loadHistory(dir: string): Promise<RunResult[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return [];
  }
  const runs: RunResult[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(await readFile(join(dir, n), "utf8")) as RunResult;
      if (r.schema === 1 && Array.isArray(r.results)) runs.push(r);
    } catch {
      // A damaged history file only costs its point on the trend.
    }
  }
  return runs;
}

export interface TrendSeries {
  readonly key: string;
  readonly label: string;
  /** One median per run (ms), undefined where that run lacked the result. */
  readonly medians: (number | undefined)[];
}

const TREND_OPS = ["state-query", "state-update", "session-create", "session-list", "dashboard"];

/** Key medians across the last `n` runs: each adapter's main operations in its default mode. */
export function trend(runs: readonly RunResult[], n = 10): { runs: RunResult[]; series: TrendSeries[] } {
  const last = runs.slice(-n);
  const keys = new Map<string, string>();
  for (const run of last) {
    for (const r of run.results) {
      if (!TREND_OPS.includes(r.op) || Object.keys(r.params).length > 0 || r.durability === "relaxed") continue;
      keys.set(r.key, `${r.adapter} · ${r.op}`);
    }
  }
  const series = [...keys.entries()].map(([key, label]) => ({
    key,
    label,
    medians: last.map((run) => {
      const r = run.results.find((x) => x.key === key);
      return r?.status === "ok" ? r.stats?.median : undefined;
    }),
  }));
  series.sort((a, b) => a.label.localeCompare(b.label));
  return { runs: last, series };
}
