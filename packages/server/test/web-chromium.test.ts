/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Store, open } from "@statehouse/core";
import { chromiumLaunchOptions, chromiumMissing, tempDir, removeDir } from "@statehouse/conformance/testing";
import { type App, createApp } from "@statehouse/server";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const missing = chromiumMissing();
const present = missing === undefined;
if (!present) console.warn(`skipping the dashboard tests in Chromium: ${missing}`);

const SERVER_DIR = join(import.meta.dirname, "..");
/** Where the screenshots go (not committed; docs/dashboard.png is a copy of one). */
const OUTPUT = join(SERVER_DIR, "test-output");
const run = promisify(execFile);

/**
 * Another process: opens the store itself (or calls the daemon over HTTP); `code` sets `t0 = Date.now()` just before its write,
 * which the child prints: the page latency is measured from the start of the write (an upper bound of change → page).
 */
async function childWrite(code: string): Promise<number> {
  const script = `let t0 = 0;\n${code}\nconsole.log(t0);`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: SERVER_DIR });
  return Number(stdout.trim().split("\n").pop());
}

describe.skipIf(!present)("the dashboard in headless Chromium", () => {
  let dir: string;
  let url: string;
  let store: Store;
  let app: App;
  let port: number;
  let browser: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  /** Console errors are expected only while the daemon is down (refused connections). */
  let daemonDown = false;
  /** The bad JSONPath query's answer: Chromium logs every 4xx fetch as a console error. */
  let expect400 = false;

  async function startApp(listenPort: number): Promise<void> {
    app = await createApp({ store, storeUrl: url });
    await app.listen({ host: "127.0.0.1", port: listenPort });
    port = (app.server.address() as { port: number }).port;
  }

  beforeAll(async () => {
    dir = tempDir("web").dir;
    url = `sqlite:${join(dir, "store.db")}`;
    store = await open(url);
    await startApp(0);
    browser = await chromium.launchPersistentContext(
      join(dir, "profile"),
      chromiumLaunchOptions({ viewport: { width: 1280, height: 900 } }),
    );
    page = await browser.newPage();
    page.on("console", (m) => {
      if (expect400 && m.text().includes("status of 400")) return;
      if ((m.type() === "error" || m.type() === "warning") && !daemonDown) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    removeDir(dir);
  });

  it("renders the KPI tiles and charts, and writes a screenshot of the overview", async () => {
    for (let i = 0; i < 5; i++) await store.state().increment("/n", 1);
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "load" });
    await page.waitForSelector("body[data-live='1']", { timeout: 10_000 });
    await page.waitForSelector("#tiles .tile", { timeout: 10_000 });
    const tiles = await page.$$eval("#tiles .tile", (ts) => ts.map((t) => ({ kpi: (t as HTMLElement).dataset.kpi, cls: t.className })));
    expect(tiles.length).toBe(8);
    expect(tiles.find((t) => t.kpi === "stateAvg")!.cls).toMatch(/green|amber|red/);
    expect(tiles.find((t) => t.kpi === "failures")!.cls).toContain("green");
    expect(await page.$$eval("#latency canvas, #throughput canvas", (c) => c.length)).toBe(2);
    // Let the charts gather a few points, then photograph the overview.
    await page.waitForTimeout(4500);
    mkdirSync(OUTPUT, { recursive: true });
    const shot = join(OUTPUT, "dashboard-overview.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it("shows a write by another process within 500 ms, straight to the store and through the daemon", async () => {
    const latencies: Record<string, number[]> = { direct: [], daemon: [] };
    const fromCommit: number[] = [];
    /** When the page's table first shows the session, and the session's own updatedAt (its commit time). */
    const shownAt = (n: string) =>
      page.waitForFunction(
        (wanted) => {
          const td = [...document.querySelectorAll("#session-table td")].find((x) => x.textContent === wanted);
          return td === undefined ? false : { at: Date.now(), updated: Date.parse(td.parentElement!.children[4]!.textContent ?? "") };
        },
        n,
        { polling: 10, timeout: 5000 },
      );
    for (let i = 0; i < 3; i++) {
      const name = `direct-${i}-${Date.now()}`;
      const wait = shownAt(name);
      const committed = await childWrite(
        `import { open } from "@statehouse/core"; const s = await open(${JSON.stringify(url)});
         t0 = Date.now(); await s.sessions.create({ name: ${JSON.stringify(name)}, project: "other" }); await s.close();`,
      );
      const seen = (await (await wait).jsonValue()) as { at: number; updated: number };
      latencies.direct!.push(seen.at - committed);
      fromCommit.push(seen.at - seen.updated);

      const viaDaemon = `daemon-${i}-${Date.now()}`;
      const wait2 = shownAt(viaDaemon);
      const committed2 = await childWrite(
        // One request first: loading fetch itself (undici) takes a Node process ~100+ ms, which is not the daemon's time.
        `await (await fetch("http://127.0.0.1:${port}/v1/health")).text(); t0 = Date.now();
         const r = await fetch("http://127.0.0.1:${port}/v1/sessions", { method: "POST", headers: { "content-type": "application/json" },
           body: JSON.stringify({ name: ${JSON.stringify(viaDaemon)}, project: "other" }) });
         if (r.status !== 201) throw new Error("status " + r.status);`,
      );
      const seen2 = (await (await wait2).jsonValue()) as { at: number; updated: number };
      latencies.daemon!.push(seen2.at - committed2);
      fromCommit.push(seen2.at - seen2.updated);
    }
    console.log(
      `write in another process (from its start) → shown on the page, ms: direct ${latencies.direct!.join(", ")}; ` +
        `via the daemon ${latencies.daemon!.join(", ")}; from the commit (updatedAt) ${fromCommit.join(", ")}`,
    );
    for (const ms of [...latencies.direct!, ...latencies.daemon!]) expect(ms).toBeLessThan(500);
    // The change feed lists them too.
    expect(await page.$$eval("#feed li", (li) => li.length)).toBeGreaterThanOrEqual(6);
    await page.screenshot({ path: join(OUTPUT, "dashboard-live.png"), fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);

  it("filters by status and project, and pages with the API's cursor", async () => {
    for (let i = 0; i < 23; i++) await store.sessions.create({ name: `alpha-${i}`, project: "alpha" });
    const beta = [];
    for (let i = 0; i < 4; i++) beta.push(await store.sessions.create({ name: `beta-${i}`, project: "beta" }));
    await store.sessions.end(beta[0]!.id, "failed");
    const rows = () => page.$$eval("#session-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

    await page.fill("#f-project", "beta");
    await page.click("#filters button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#session-table tbody tr").length === 4);
    expect((await rows()).every((r) => r[2] === "beta")).toBe(true);
    await page.selectOption("#f-status", "failed");
    await page.click("#filters button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#session-table tbody tr").length === 1);
    expect((await rows())[0]![0]).toBe("beta-0");

    await page.fill("#f-project", "alpha");
    await page.selectOption("#f-status", "");
    await page.selectOption("#f-limit", "10");
    await page.click("#filters button[type=submit]");
    const seen = new Set<string>();
    for (const expected of [10, 10, 3]) {
      await page.waitForFunction(
        ([n, before]) => {
          const trs = [...document.querySelectorAll("#session-table tbody tr")];
          return trs.length === n && !trs.some((tr) => (before as string[]).includes((tr as HTMLElement).dataset.id ?? ""));
        },
        [expected, [...seen]] as const,
      );
      for (const r of await rows()) {
        expect(r[2]).toBe("alpha");
        seen.add(r[5]!);
      }
      if (expected === 3) expect(await page.isDisabled("#next")).toBe(true);
      else await page.click("#next");
    }
    expect(seen.size).toBe(23);
    await page.click("#prev");
    await page.waitForFunction(() => document.querySelector("#page")?.textContent === "page 2");
    expect(await page.$$eval("#session-table tbody tr", (t) => t.length)).toBe(10);
    expect(problems).toEqual([]);
  }, 60_000);

  it("shows a session's agents and state, runs JSONPath on the server, and says why a query is bad", async () => {
    const s = await store.sessions.create({ name: "inspect-me", project: "gamma" });
    await store.agents.spawn(s.id, { role: "planner" });
    await store.sessionState(s.id).replace({ items: [{ n: 1 }, { n: 2 }], owner: "x" });
    await page.goto(`http://127.0.0.1:${port}/#session=${encodeURIComponent(s.id)}`);
    await page.waitForFunction(() => document.querySelector("#s-name")?.textContent === "inspect-me");
    expect(await page.textContent("#s-revision")).toMatch(/^revision \d+$/);
    expect(await page.$$eval("#agent-table tbody tr", (t) => t.map((r) => r.children[0]!.textContent))).toEqual(["planner"]);
    expect(await page.textContent("#s-state")).toContain('"x"');
    await page.fill("#q", "$.items[*].n");
    await page.click("#jsonpath button");
    await page.waitForFunction(() => document.querySelector("#q-result")?.textContent?.includes("2 result(s)"));
    const results = await page.$$eval("#q-result .leaf", (l) => l.map((x) => x.textContent));
    expect(results).toEqual(["$['items'][0]['n'] = 1", "$['items'][1]['n'] = 2"]);
    await page.fill("#q", "$[");
    expect400 = true;
    await page.click("#jsonpath button");
    await page.waitForSelector("#q-result.error");
    expect400 = false;
    expect(await page.textContent("#q-result")).toContain("E_INVALID_QUERY");
    expect(problems).toEqual([]);
  }, 60_000);

  it("renders a hostile session name as text", async () => {
    const name = `<img src=x onerror="window.__pwned=1">`;
    await store.sessions.create({ name, project: "hostile" });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction((n) => [...document.querySelectorAll("#session-table td")].some((td) => td.textContent === n), name);
    expect(await page.$$eval("img", (i) => i.length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
  }, 60_000);

  it("recovers after the daemon restarts", async () => {
    await page.waitForSelector("body[data-live='1']");
    daemonDown = true;
    const samePort = port;
    await app.close();
    await page.waitForSelector("body[data-live='0']", { timeout: 10_000 });
    await startApp(samePort);
    await page.waitForSelector("body[data-live='1']", { timeout: 15_000 });
    daemonDown = false;
    const name = `after-restart-${Date.now()}`;
    await childWrite(
      `import { open } from "@statehouse/core"; const s = await open(${JSON.stringify(url)});
       await s.sessions.create({ name: ${JSON.stringify(name)} }); await s.close();`,
    );
    await page.waitForFunction((n) => [...document.querySelectorAll("#session-table td")].some((td) => td.textContent === n), name, {
      timeout: 5000,
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
