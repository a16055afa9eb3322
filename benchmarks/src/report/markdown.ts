import type { Targets } from "../targets.js";
import type { RunResult } from "../types.js";
import type { Block } from "./blocks.js";
import { cell } from "./format.js";
import { reportBlocks } from "./content.js";

function renderBlock(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `${"#".repeat(b.level)} ${b.text}`;
    case "para":
      return b.text;
    case "list":
      return b.items.map((i) => `- ${i}`).join("\n");
    case "table":
      return [
        `| ${b.header.map(cell).join(" | ")} |`,
        `| ${b.header.map(() => "---").join(" | ")} |`,
        ...b.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
      ].join("\n");
    case "chart":
      return "";
    case "details":
      return [`<details><summary>${b.summary}</summary>`, "", ...b.blocks.map(renderBlock), "", "</details>"].join("\n");
  }
}

/** `reports/latest.md`: the report without its charts (those are in `latest.html`). */
export function renderMarkdown(run: RunResult, targets: Targets, history: readonly RunResult[] = [run]): string {
  const blocks = reportBlocks(run, targets, history, false);
  return `${blocks
    .map(renderBlock)
    .filter((s) => s !== "")
    .join("\n\n")}\n\n_Charts: reports/latest.html. Raw results: reports/latest.json._\n`;
}
