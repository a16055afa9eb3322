import type { CommandContext } from "../contract.js";
import { int, usage } from "../commands/common.js";
import { terminalText } from "../io/terminal-text.js";
import { DashboardSource, type DashboardData, type SessionDetail } from "./data.js";
import { formatKpiValue } from "./kpis.js";
import { maxScroll, renderFrame, renderSession } from "./render.js";
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
    // A terminal is filled to its height; a pipe gets the default list sizes.
    printOnce(ctx, await source.refresh(process.stdout.isTTY ? process.stdout.rows : undefined));
    return undefined;
  }
  return live(ctx, source, interval);
}

function printOnce(ctx: CommandContext, d: DashboardData): void {
  const { out } = ctx;
  if (out.mode === "json") out.json(d);
  else if (out.mode === "plain")
    for (const k of d.kpis)
      out.line(`${k.key}\t${k.value === null ? "" : formatKpiValue(k)}\t${k.value === null ? "no-data" : k.alert ? "alert" : "ok"}`);
  else {
    // Cut to the terminal's width on a terminal; through a pipe nothing is cut (the reader decides).
    const width = process.stdout.isTTY ? (process.stdout.columns ?? 120) : Number.POSITIVE_INFINITY;
    for (const l of renderFrame(d, { width, height: 1000, colors: out.colors, now: Date.now(), live: false })) out.line(l);
  }
}

/** Keys: arrows as a terminal sends them, and vi's j/k. */
const UP = new Set(["\x1b[A", "\x1bOA", "k"]);
const DOWN = new Set(["\x1b[B", "\x1bOB", "j"]);
const PAGE_UP = "\x1b[5~";
const PAGE_DOWN = "\x1b[6~";
const ENTER = new Set(["\r", "\n"]);
const CTRL_C = "\u0003";
const ESC = "\u001b";

/** What the screen shows: the overview with a selected session, or one session's page. */
type View =
  | { kind: "list"; selected: number | undefined }
  | { kind: "session"; id: string; detail: SessionDetail | undefined; scroll: number };

async function live(ctx: CommandContext, source: DashboardSource, interval: number): Promise<number> {
  const screen = new Screen();
  let view: View = { kind: "list", selected: undefined };
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
      screen.draw([
        ctx.out.colors.bold(`statehouse dashboard  ${terminalText(ctx.storeUrl)}`),
        "",
        ctx.out.colors.red(`cannot read the store: ${terminalText(error ?? "…")}`),
        "",
        "q quit",
      ]);
      return;
    }
    const o = { width: screen.width, height: screen.height, colors: ctx.out.colors, now: Date.now(), error, live: true };
    if (view.kind === "session" && view.detail !== undefined) screen.draw(renderSession(data, view.detail, { ...o, scroll: view.scroll }));
    else screen.draw(renderFrame(data, { ...o, selected: view.kind === "list" ? view.selected : undefined }));
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
        data = await source.refresh(screen.height);
        seen = data.sequence;
        await reloadSession();
        error = undefined;
        draw();
      } else if (Date.now() - lastDraw >= TICK_MS) draw();
    } catch (err) {
      error = (err as Error).message.split("\n")[0];
      draw();
    }
    if (!stopped) timer = setTimeout(poll, interval);
  };

  /** Reads the open session's page again; a deleted session returns to the overview. */
  const reloadSession = async () => {
    if (view.kind !== "session") return;
    const id = view.id;
    const detail = await source.session(id);
    if (view.kind !== "session" || view.id !== id) return;
    view = detail === undefined ? { kind: "list", selected: undefined } : { ...view, detail };
  };
  const onKey = (key: string) => {
    // Ctrl-C (raw mode turns it into a key) quits from anywhere.
    if (key === CTRL_C) return stop(0);
    if (view.kind === "session") {
      const page = Math.max(1, screen.height - 12);
      if (key === "q" || key === "Q" || key === ESC || key === "\x7f") view = { kind: "list", selected: selectedOf(view.id) };
      else if (UP.has(key)) view = { ...view, scroll: Math.max(0, view.scroll - 1) };
      else if (DOWN.has(key)) view = { ...view, scroll: view.scroll + 1 };
      else if (key === PAGE_UP) view = { ...view, scroll: Math.max(0, view.scroll - page) };
      else if (key === PAGE_DOWN) view = { ...view, scroll: view.scroll + page };
      else return;
      clampScroll();
      return draw();
    }
    // Overview: q, Q and Esc quit.
    if (key === "q" || key === "Q" || key === ESC) return stop(0);
    const n = data?.recentSessions.length ?? 0;
    if (n === 0) return;
    const at = view.selected;
    if (UP.has(key)) view = { kind: "list", selected: at === undefined ? n - 1 : Math.max(0, at - 1) };
    else if (DOWN.has(key)) view = { kind: "list", selected: at === undefined ? 0 : Math.min(n - 1, at + 1) };
    else if (ENTER.has(key) && at !== undefined) {
      const id = data!.recentSessions[Math.min(at, n - 1)]!.id;
      view = { kind: "session", id, detail: undefined, scroll: 0 };
      reloadSession().then(draw, (err: Error) => {
        error = err.message.split("\n")[0];
        view = { kind: "list", selected: at };
        draw();
      });
      return;
    } else return;
    draw();
  };
  const selectedOf = (id: string): number | undefined => {
    const i = data?.recentSessions.findIndex((s) => s.id === id) ?? -1;
    return i < 0 ? undefined : i;
  };
  /** Keeps the scroll within the document, so scrolling back up answers at once. */
  const clampScroll = () => {
    if (view.kind !== "session" || view.detail === undefined) return;
    const o = { width: screen.width, height: screen.height, colors: ctx.out.colors, now: Date.now(), error, live: true };
    view = { ...view, scroll: Math.min(view.scroll, maxScroll(view.detail, o)) };
  };

  screen.enter(onKey);
  process.stdout.on("resize", draw);
  try {
    await poll();
  } catch (err) {
    stop(1);
    throw err;
  }
  return done;
}
