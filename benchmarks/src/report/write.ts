import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Targets } from "../targets.js";
import type { RunResult } from "../types.js";
import { appendHistory, loadHistory } from "./history.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";

/** Options of {@link writeReports}. */
export interface WriteReportsOptions {
  /** Append the run to `<out>/history/` (default true). */
  history?: boolean;
}

export interface WrittenReports {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
  readonly history?: string;
}

/** Writes `latest.json`, `latest.md`, `latest.html` and the run's history file into `outDir`. */
export async function writeReports(
  run: RunResult,
  targets: Targets,
  outDir: string,
  options: WriteReportsOptions = {},
): Promise<WrittenReports> {
  await mkdir(outDir, { recursive: true });
  const historyDir = join(outDir, "history");
  const historyFile = options.history === false ? undefined : await appendHistory(historyDir, run);
  const earlier = await loadHistory(historyDir);
  const history = earlier.some((r) => r.id === run.id) ? earlier : [...earlier, run];
  const json = join(outDir, "latest.json");
  const markdown = join(outDir, "latest.md");
  const html = join(outDir, "latest.html");
  await writeFile(json, `${JSON.stringify(run)}\n`);
  await writeFile(markdown, renderMarkdown(run, targets, history));
  await writeFile(html, await renderHtml(run, targets, history));
  return { json, markdown, html, ...(historyFile !== undefined && { history: historyFile }) };
}
