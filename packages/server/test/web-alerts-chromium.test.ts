/// <reference lib="dom" />
import { join } from "node:path";
import { Alerts, type AlertData, type Store, open } from "@statehouse/core";
import { type App, createApp } from "@statehouse/server";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { chromiumLaunchOptions, chromiumMissing, tempDir, removeDir } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The page's alerts section in headless Chromium: active and resolved alerts read from the store,
// a new one shown when it is written (the stream's `alerts` event), its message kept as text.

const missing = chromiumMissing();
const present = missing === undefined;
if (!present) console.warn(`skipping the page's alerts test in Chromium: ${missing}`);

function alert(kpi: AlertData["kpi"], state: AlertData["state"], message: string): AlertData {
  const now = new Date().toISOString();
  return {
    id: Alerts.newId(),
    kpi,
    state,
    value: 150.5,
    threshold: 100,
    comparison: ">",
    unit: "ms",
    windowSeconds: 300,
    message,
    startedAt: now,
    ...(state !== "pending" && { firedAt: now }),
    ...(state === "resolved" && { resolvedAt: now }),
    updatedAt: now,
  };
}

describe.skipIf(!present)("the page's alerts in headless Chromium", () => {
  let dir: string;
  let store: Store;
  let app: App;
  let browser: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = tempDir("web-alerts").dir;
    store = await open(`sqlite:${join(dir, "store.db")}`);
    await store.alerts.save(alert("stale-agents", "resolved", "stale agents: 2 agents (threshold > 0 agents over 300 s)"), 0);
    await store.alerts.save(alert("state-query-latency", "pending", "state query average: 150.5 ms"), 0);
    app = await createApp({ store, storeUrl: "sqlite:" });
    await app.listen({ host: "127.0.0.1", port: 0 });
    browser = await chromium.launchPersistentContext(join(dir, "profile"), chromiumLaunchOptions());
    page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir !== undefined) removeDir(dir);
  });

  it("shows active alerts and the history, and a new alert as it is written, its message as text", async () => {
    const port = (app.server.address() as { port: number }).port;
    await page.goto(`http://127.0.0.1:${port}/`);
    const active = page.locator("#alert-active tbody tr");
    await expect.poll(() => active.count(), { timeout: 15_000 }).toBe(1);
    expect(await active.first().locator("td").allTextContents()).toEqual([
      "pending",
      "state-query-latency",
      "151 ms", // three significant digits
      "> 100 ms",
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
      "state query average: 150.5 ms",
    ]);
    expect(await page.locator("#alert-history tbody tr td").first().textContent()).toBe("stale-agents");
    expect(await page.locator("#alert-count").textContent()).toBe("(1 active)");

    // Another writer adds a firing alert with a hostile message: it appears, and stays text.
    const hostile = `<img src=x onerror="alert(1)">`;
    const t0 = Date.now();
    await store.alerts.save(alert("lock-timeouts", "firing", hostile), 0);
    await expect.poll(() => active.count(), { timeout: 10_000 }).toBe(2);
    console.log(`a new alert was on the page ${Date.now() - t0} ms after its write`);
    const row = active.filter({ hasText: "lock-timeouts" });
    expect(await row.locator("td").last().textContent()).toBe(hostile);
    expect(await row.getAttribute("class")).toBe("alert firing");
    expect(await page.locator("#alert-active img").count()).toBe(0);
    // The capacity view drew its chart and states the trend (or that it needs a second point).
    expect(await page.locator("#capacity canvas").count()).toBeGreaterThan(0);
    expect(await page.locator("#trend").textContent()).toMatch(/^trend (after two points|[+−]\d+ sessions\/h, [+−][\d.]+ MB\/h)$/);
    expect(problems).toEqual([]);
  });
});
