/// <reference lib="dom" />
import { join } from "node:path";
import { type BatchOperation, type Store, open } from "@statehouse/core";
import { type App, createApp } from "@statehouse/server";
import { type BrowserContext, chromium } from "playwright-core";
import { chromiumLaunchOptions, chromiumMissing, tempDir, removeDir } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The page's first paint with 10,000 sessions in the store (the goal: ≤ 1 s), measured by
// Chromium itself (the paint timing entry), and the JSON the page loads stays paged (small).

const missing = chromiumMissing();
const present = missing === undefined;
if (!present) console.warn(`skipping the first-paint test in Chromium: ${missing}`);
const SESSIONS = 10_000;

describe.skipIf(!present)("the page with 10,000 sessions in headless Chromium", () => {
  let dir: string;
  let store: Store;
  let app: App;
  let browser: BrowserContext;

  beforeAll(async () => {
    dir = tempDir("web-paint").dir;
    store = await open(`sqlite:${join(dir, "store.db")}`, { durability: "relaxed" });
    for (let i = 0; i < SESSIONS; i += 1000) {
      const ops = Array.from(
        { length: 1000 },
        (_, j): BatchOperation => ({ op: "session.create", name: `session ${i + j}`, project: `p${(i + j) % 7}` }),
      );
      await store.batch(ops);
    }
    app = await createApp({ store, storeUrl: "sqlite:" });
    await app.listen({ host: "127.0.0.1", port: 0 });
    browser = await chromium.launchPersistentContext(
      join(dir, "profile"),
      chromiumLaunchOptions({ viewport: { width: 1280, height: 900 } }),
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir !== undefined) removeDir(dir);
  });

  it("paints within 1 s and loads only a page of sessions", async () => {
    expect(await store.sessions.count()).toBe(SESSIONS);
    const port = (app.server.address() as { port: number }).port;
    const page = await browser.newPage();
    const jsonBytes: Record<string, number> = {};
    page.on("response", async (r) => {
      if ((r.headers()["content-type"] ?? "").startsWith("application/json")) {
        const path = new URL(r.url()).pathname;
        jsonBytes[path] = (jsonBytes[path] ?? 0) + (await r.body().catch(() => Buffer.alloc(0))).length;
      }
    });
    const paints = async () => {
      await page.waitForFunction(() => document.querySelectorAll("#session-table tbody tr").length > 0, undefined, { timeout: 30_000 });
      return page.evaluate(() => ({
        firstContentfulPaint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
        sessionsShown: performance.now(),
        rows: document.querySelectorAll("#session-table tbody tr").length,
      }));
    };
    // The first navigation also starts the browser's renderer; the goal is judged on the next one,
    // a page load as a person reloading it sees it. Both are printed.
    await page.goto(`http://127.0.0.1:${port}/`);
    const cold = await paints();
    await page.reload();
    const t = await paints();
    console.log(
      `10,000 sessions: first contentful paint ${t.firstContentfulPaint.toFixed(0)} ms (first navigation of a fresh browser: ` +
        `${cold.firstContentfulPaint.toFixed(0)} ms); first page of sessions shown by ${t.sessionsShown.toFixed(0)} ms ` +
        `(fresh: ${cold.sessionsShown.toFixed(0)} ms); JSON loaded by both: ${JSON.stringify(jsonBytes)}`,
    );
    expect(t.rows).toBe(20);
    expect(t.firstContentfulPaint).toBeLessThanOrEqual(1000);
    // Paged: the sessions listing is one page, not the 10,000.
    expect(jsonBytes["/v1/sessions"]).toBeLessThan(2 * 50_000);
    await page.close();
  });
});
