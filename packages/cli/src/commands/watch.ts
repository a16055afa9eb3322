import type { WatchEvent } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { styled } from "../io/output.js";
import { int, shortTime, str, usage } from "./common.js";

function collectionsOption(ctx: CommandContext): string[] | undefined {
  const v = str(ctx, "collections");
  if (v === undefined) return undefined;
  const names = v.split(",").map((s) => s.trim());
  if (names.some((n) => n.length === 0)) throw usage(ctx, `--collections is a comma-separated list of names, got ${JSON.stringify(v)}`);
  return names;
}

function print(ctx: CommandContext, ev: WatchEvent): void {
  const { out } = ctx;
  if (out.mode === "json") {
    out.json(ev);
    return;
  }
  if (ev.type === "reset") {
    if (out.mode === "plain") out.plain(styled(`reset\t${ev.since}\t${ev.oldest}`));
    else out.line(out.colors.yellow(`reset: change sets after ${ev.since} are no longer retained; resuming at ${ev.oldest}`));
    return;
  }
  for (const c of ev.changes) {
    if (out.mode === "plain") out.plain(styled(`${ev.sequence}\t${c.type}\t${c.collection}\t${c.id}\t${c.revision}`));
    else {
      const what = c.type === "put" ? out.colors.green("put") : out.colors.red("del");
      out.line(`${out.colors.dim(`#${ev.sequence} ${shortTime(ev.at)}`)} ${what} ${c.collection}/${out.colors.cyan(c.id)} r${c.revision}`);
    }
  }
}

/** `watch [--since N] [--collections A,B] [--session ID] [--count N]`: prints change sets as they land. */
export async function watch(ctx: CommandContext): Promise<number | undefined> {
  const since = int(ctx, "since", 0);
  const count = int(ctx, "count", 1);
  const pollMs = int(ctx, "interval", 1, 60_000);
  const collections = collectionsOption(ctx);
  const session = str(ctx, "session");
  // Through the daemon's event stream when one serves the store (`--no-daemon`: direct). The
  // remote watch resumes after a dropped connection; a daemon gone for longer than 30 s ends it
  // with E_UNAVAILABLE (exit 15).
  const store = await ctx.open();
  const controller = new AbortController();
  // Ctrl-C ends the watch cleanly (exit 0), after the change set being printed.
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let delivered = 0;
  try {
    for await (const ev of store.watch({
      signal: controller.signal,
      ...(since !== undefined && { since }),
      ...(pollMs !== undefined && { pollMs }),
      ...(collections !== undefined && { collections }),
      ...(session !== undefined && { session }),
    })) {
      print(ctx, ev);
      if (ev.type === "changes" && count !== undefined && ++delivered >= count) break;
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return undefined;
}
