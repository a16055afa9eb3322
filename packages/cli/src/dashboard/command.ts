import type { CommandContext } from "../contract.js";
import { int, usage } from "../commands/common.js";
import { DashboardSource, type DashboardData } from "./data.js";
import { formatKpiValue } from "./kpis.js";
import { renderFrame } from "./render.js";
import { Screen } from "./terminal.js";

/** Re-render at least this often even without changes, so heartbeat ages and the clock move. */
const TICK_MS = 1000;

/**
 * `dashboard`: polls the store's change sequence every `--interval` ms (default 150) and
 * refreshes when it moves, so a change by any process shows within interval + refresh time.
 */
export async function dashboard(ctx: CommandContext): Promise<number | undefined> {
  const interval = int(ctx, "interval", 20, 10_000) ?? 150;
  const once = ctx.opts.once === true;
  if (!once && !process.stdout.isTTY) throw usage(ctx, "the live dashboard needs a terminal; use --once to print one frame");
  const store = await ctx.openLocal();
  const source = new DashboardSource(store, ctx.storeUrl);
  if (once) {
    printOnce(ctx, await source.refresh());
    return undefined;
  }
  return live(ctx, source, interval);
}

function printOnce(ctx: CommandContext, d: DashboardData): void {
  const { out } = ctx;
  if (out.mode === "json") out.json(d);
  else if (out.mode === "plain") for (const k of d.kpis) out.line(`${k.key}\t${k.value === null ? "" : formatKpiValue(k)}\t${k.value === null ? "no-data" : k.alert ? "alert" : "ok"}`);
  else for (const l of renderFrame(d, { width: process.stdout.columns ?? 120, height: 1000, colors: out.colors, now: Date.now(), live: false })) out.line(l);
}

async function live(ctx: CommandContext, source: DashboardSource, interval: number): Promise<number> {
  const screen = new Screen();
  let data: DashboardData | undefined;
  let error: string | undefined;
  let seen = -1;
  let lastDraw = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const draw = () => {
    if (data === undefined) {
      screen.draw([ctx.out.colors.bold(`statehouse dashboard  ${ctx.storeUrl}`), "", ctx.out.colors.red(`cannot read the store: ${error ?? "…"}`), "", "q quit"]);
      return;
    }
    screen.draw(renderFrame(data, { width: screen.width, height: screen.height, colors: ctx.out.colors, now: Date.now(), error, live: true }));
    lastDraw = Date.now();
  };
  const stop = (code: number) => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    screen.leave();
    for (const [sig] of signals) process.off(sig, signals.get(sig)!);
    process.stdout.off("resize", draw);
    finish(code);
  };
  const signals = new Map<NodeJS.Signals, () => void>([
    ["SIGINT", () => stop(130)],
    ["SIGTERM", () => stop(143)],
    ["SIGHUP", () => stop(129)],
  ]);
  for (const [sig, fn] of signals) process.on(sig, fn);

  const poll = async () => {
    try {
      const sequence = await source.sequence();
      if (sequence !== seen || data === undefined) {
        data = await source.refresh();
        seen = data.sequence;
        error = undefined;
        draw();
      } else if (Date.now() - lastDraw >= TICK_MS) draw();
    } catch (err) {
      error = (err as Error).message.split("\n")[0];
      draw();
    }
    if (!stopped) timer = setTimeout(poll, interval);
  };

  screen.enter((key) => {
    // q, Q, Ctrl-C (raw mode turns it into a key) and Esc quit.
    if (key === "q" || key === "Q" || key === "\u0003" || key === "\u001b") stop(0);
  });
  process.stdout.on("resize", draw);
  try {
    await poll();
  } catch (err) {
    stop(1);
    throw err;
  }
  return done;
}
