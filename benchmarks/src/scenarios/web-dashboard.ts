import { fork } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BatchOperation, IoError, open } from "@statehouse/core";
import { type BenchServer, startBenchDaemon } from "../daemon-process.js";
import { fromSamples } from "../measure.js";
import { type Scenario, failedResult, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";
import { locateCli } from "./cli.js";

const WRITER = fileURLToPath(new URL("./watch-writer.js", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const OPS = ["web-change-to-page", "web-metrics-scrape", "web-first-paint"] as const;
/** The sizes: the page and /metrics are judged with 10,000 sessions in the store. */
const SESSIONS = 10_000;
const WRITES = 100;
const GAP_MS = 20;

/** One GET over the daemon's socket; resolves with the body's length once it has all arrived. */
function get(socket: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, agent: false }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => (res.statusCode === 200 ? resolve(bytes) : reject(new IoError(`GET ${path}: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The page's event stream (`/v1/events`, what the page's EventSource opens): the arrival time of each change set, by sequence. */
function subscribe(socket: string, arrived: Map<number, number>): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: "/v1/events", agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new IoError(`GET /v1/events: HTTP ${res.statusCode}`));
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const now = performance.timeOrigin + performance.now();
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(event);
          if (id !== null && /^event: change$/m.test(event)) arrived.set(Number(id[1]), now);
          end = buffer.indexOf("\n\n");
        }
      });
      resolve(() => req.destroy());
    });
    req.on("error", reject);
    req.end();
  });
}

/** Change sets committed by another process straight to the store, timed to their arrival on the daemon's event stream. */
async function changeToPage(socket: string, url: string, durability: string | undefined): Promise<{ samples: number[]; missing: number }> {
  const arrived = new Map<number, number>();
  const stop = await subscribe(socket, arrived);
  const child = fork(WRITER, [url, durability ?? "", String(WRITES), String(GAP_MS)], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  try {
    const acks = await new Promise<Array<[number, number]>>((resolve, reject) => {
      child.on("message", (m: { type: string; acks?: Array<[number, number]>; message?: string }) => {
        if (m.type === "ready") child.send("go");
        if (m.type === "done") resolve(m.acks!);
        if (m.type === "error") reject(new IoError(`writer: ${m.message}`));
      });
      child.once("exit", (code) => code !== 0 && reject(new IoError(`writer exited with ${code}: ${stderr.trim()}`)));
    });
    // The daemon polls the sequence every 50 ms by default: give the last write that long and more.
    const deadline = Date.now() + 5000;
    while (acks.some(([seq]) => !arrived.has(seq)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // An event can arrive before the writer's promise resolved (the commit is visible first): 0 ms.
    const samples = acks.filter(([seq]) => arrived.has(seq)).map(([seq, t]) => Math.max(0, arrived.get(seq)! - t));
    return { samples, missing: acks.length - samples.length };
  } finally {
    stop();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

/** First contentful paint of the page with the store's sessions, by Chromium's own paint timing, on a reload (a warm browser). */
async function firstPaint(url: string, runs: number, dir: string): Promise<number[]> {
  const [{ chromium }, { createApp }] = await Promise.all([import("playwright-core"), import("@statehouse/server")]);
  const store = await open(url);
  const app = await createApp({ store, storeUrl: url, alerts: false, mcp: false });
  const browser = await chromium.launchPersistentContext(join(dir, "chromium-profile"), {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
    ],
    viewport: { width: 1280, height: 900 },
  });
  try {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const page = await browser.newPage();
    const samples: number[] = [];
    for (let i = 0; i <= runs; i++) {
      if (i === 0) await page.goto(`http://127.0.0.1:${port}/`);
      else await page.reload();
      // A selector, not waitForFunction with a string: polling a string predicate evaluates it with
      // eval inside the page, which the dashboard's CSP (script-src 'self') refuses whenever the
      // first check finds no row yet (EvalError in one CI run, postgres).
      await page.waitForSelector("#session-table tbody tr", { state: "attached", timeout: 30_000 });
      // An expression evaluated in the page (a string: this package is not compiled with the DOM's types).
      const fcp = (await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN")) as number;
      // The first navigation also starts the renderer: not what a person reloading the page sees.
      if (i > 0 && Number.isFinite(fcp)) samples.push(fcp);
    }
    return samples;
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
}

/**
 * The web dashboard's figures (issue 12), through a daemon over this adapter with 10,000 sessions
 * in the store: a write by another process (straight to the store) to its arrival on the event
 * stream the page listens to; a `/metrics` scrape; the page's first contentful paint in Chromium
 * (the app in this process on loopback TCP: a browser cannot open a unix socket).
 */
export const webDashboardScenario: Scenario = {
  name: "web-dashboard",
  group: "operation",
  title: "Web dashboard: change → page's event stream, /metrics scrape, first paint (10,000 sessions)",
  perAdapter: true,
  // One durability mode: the writes timed are another process's, the rest are reads.
  writes: false,
  ops: () => [...OPS],
  async run(ctx): Promise<BenchResult[]> {
    const skipAll = (reason: string) => OPS.map((op) => failedResult(ctx.job, op, reason, "skipped"));
    if (ctx.adapter?.name === "memory") return skipAll("a memory: store lives in one process: no other process can write it");
    const where = locateCli();
    if ("missing" in where) return skipAll(`CLI not available: ${where.missing}`);
    const out: BenchResult[] = [];
    // Populated in relaxed mode whatever the job's durability: the setup, not the measurement.
    const seed = await open(ctx.url, { durability: "relaxed" });
    try {
      for (let i = 0; i < SESSIONS; i += 1000) {
        const ops = Array.from(
          { length: 1000 },
          (_, j): BatchOperation => ({ op: "session.create", name: `s${i + j}`, project: `p${(i + j) % 7}` }),
        );
        await seed.batch(ops);
      }
    } finally {
      await seed.close();
    }
    let daemon: BenchServer | undefined;
    try {
      daemon = await startBenchDaemon(where.bin, ctx.url, join(ctx.dir, "d.sock"), ctx.job.durability);
      const socket = daemon.socket;
      try {
        const { samples, missing } = await changeToPage(socket, ctx.url, ctx.job.durability);
        out.push(
          okResult(ctx.job, "web-change-to-page", fromSamples(samples, 2000), {
            check: { expected: WRITES, actual: samples.length, ok: missing === 0 },
            note: `${WRITES} writes ${GAP_MS} ms apart by another process, straight to the store; the daemon polls every 50 ms`,
          }),
        );
      } catch (err) {
        out.push(failedResult(ctx.job, "web-change-to-page", err));
      }
      try {
        await get(socket, "/metrics"); // the first scrape reads the store's counts cold
        const samples: number[] = [];
        let bytes = 0;
        for (let i = 0; i < Math.max(10, ctx.job.settings.processRuns * 2); i++) {
          const t0 = performance.now();
          bytes = await get(socket, "/metrics");
          samples.push(performance.now() - t0);
        }
        out.push(okResult(ctx.job, "web-metrics-scrape", fromSamples(samples), { note: `${SESSIONS} sessions; ${bytes} bytes of text` }));
      } catch (err) {
        out.push(failedResult(ctx.job, "web-metrics-scrape", err));
      }
    } catch (err) {
      out.push(...OPS.slice(0, 2).map((op) => failedResult(ctx.job, op, err)));
    } finally {
      await daemon?.stop();
    }
    const { existsSync } = await import("node:fs");
    if (!existsSync(CHROMIUM))
      out.push(failedResult(ctx.job, "web-first-paint", `${CHROMIUM} is not installed (apt-get install chromium)`, "skipped"));
    else {
      try {
        const samples = await firstPaint(ctx.url, Math.max(3, Math.floor(ctx.job.settings.processRuns / 2)), ctx.dir);
        out.push(
          okResult(ctx.job, "web-first-paint", fromSamples(samples), {
            note: `${SESSIONS} sessions; first contentful paint on a reload, by Chromium`,
          }),
        );
      } catch (err) {
        out.push(failedResult(ctx.job, "web-first-paint", err));
      }
    }
    return out;
  },
};
