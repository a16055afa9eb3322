import { View, parse } from "vega";
import { compile } from "vega-lite";
import type { Targets } from "../targets.js";
import type { RunResult } from "../types.js";
import type { Block, ChartSpec } from "./blocks.js";
import { reportBlocks } from "./content.js";
import { escapeHtml } from "./format.js";

/**
 * Renders a vega-lite spec to SVG text offline: vega-lite compiles it, vega's headless View
 * renders it (no canvas, no browser, no network), so the report embeds finished pictures.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  const compiled = compile(spec as never).spec;
  const view = new View(parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function renderBlock(b: Block): Promise<string> {
  switch (b.kind) {
    case "heading":
      return `<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`;
    case "para":
      return `<p>${escapeHtml(b.text)}</p>`;
    case "list":
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`;
    case "table": {
      const head = `<tr>${b.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
      const rows = b.rows
        .map((r) => `<tr>${r.map((c) => `<td class="${/FAILED|failed|✗/.test(c) ? "bad" : ""}">${escapeHtml(c)}</td>`).join("")}</tr>`)
        .join("\n");
      return `<div class="scroll"><table>\n<thead>${head}</thead>\n<tbody>\n${rows}\n</tbody></table></div>`;
    }
    case "chart":
      return `<figure class="chart" data-title="${escapeHtml(b.title)}">${await renderChartSvg(b.spec)}</figure>`;
    case "details":
      return `<details><summary>${escapeHtml(b.summary)}</summary>${(await Promise.all(b.blocks.map(renderBlock))).join("\n")}</details>`;
  }
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; font-size: 12.5px; margin: .6rem 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.bad { background: #fdecea; }
figure.chart svg { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
figure.chart { display: inline-block; margin: .5rem 1rem .5rem 0; }
details { margin-top: 2rem; }
`;

/** `reports/latest.html`: the same report with its charts, self-contained (inline SVG and CSS, no scripts, no network). */
export async function renderHtml(run: RunResult, targets: Targets, history: readonly RunResult[] = [run]): Promise<string> {
  const blocks = reportBlocks(run, targets, history, true);
  const body: string[] = [];
  for (const b of blocks) body.push(await renderBlock(b));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>statehouse benchmark report — ${escapeHtml(run.id)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join("\n")}
</body>
</html>
`;
}
