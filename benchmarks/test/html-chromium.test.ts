import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromiumLaunchOptions, chromiumMissing, removeDir, tempDir } from "@statehouse/conformance/testing";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportBlocks } from "../src/report/content.js";
import { renderHtml } from "../src/report/html.js";
import { loadTargets } from "../src/targets.js";
import { fixtureRun } from "./fixture.js";

const missing = chromiumMissing();
const present = missing === undefined;
if (!present) console.warn(`skipping the HTML report test in Chromium: ${missing}`);

describe.skipIf(!present)("HTML report in headless Chromium", () => {
  let dir: string;
  let browser: BrowserContext;
  beforeAll(async () => {
    dir = tempDir("html").dir;
    // A new, empty profile directory each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(join(dir, "profile"), chromiumLaunchOptions());
  });
  afterAll(async () => {
    await browser?.close();
    removeDir(dir);
  });

  it("loads without console or page errors, offline, and shows every chart with marks", async () => {
    const targets = loadTargets();
    const runs = [fixtureRun("2026-11-27T00-00-00Z-aaaaaaa", 7), fixtureRun()];
    const run = runs[1]!;
    const file = join(dir, "latest.html");
    await writeFile(file, await renderHtml(run, targets, runs));
    const expectedCharts = reportBlocks(run, targets, runs, true).filter((b) => b.kind === "chart").length;
    expect(expectedCharts).toBeGreaterThanOrEqual(6);

    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

    expect(await page.title()).toContain(run.id);
    const charts = await page.$$eval("figure.chart > svg", (svgs) =>
      svgs.map((svg) => ({
        marks: svg.querySelectorAll("g.mark-rect path, g.mark-line path, g.mark-symbol path, g.mark-rule line, g.mark-rect rect").length,
        width: svg.getBoundingClientRect().width,
        height: svg.getBoundingClientRect().height,
      })),
    );
    expect(charts).toHaveLength(expectedCharts);
    for (const c of charts) {
      expect(c.marks).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(50);
    }
    // The summary table is there and readable.
    const firstHeading = await page.$eval("h2", (h) => h.textContent);
    expect(firstHeading).toBe("Which adapter, for what");
    expect(await page.$eval("table", (t) => t.querySelectorAll("tbody tr").length)).toBeGreaterThan(3);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith("file:"))).toEqual([]);
    if (process.env.STATEHOUSE_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.STATEHOUSE_SCREENSHOT, fullPage: true });
    await page.close();
  });
});
