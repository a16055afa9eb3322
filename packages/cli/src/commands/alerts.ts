import type { Alert } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { plainText, styled } from "../io/output.js";
import { emit, int, shortTime } from "./common.js";

// Three significant digits: a latency of 1.0123 ms reads 1.01, a threshold of 0.000001 ms stays visible.
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3))));

/**
 * `alerts [--all] [--limit N]`: the alerts the daemon keeps in the store, newest first (pending and
 * firing; with --all the resolved history too). Read straight from the store, so any process sees
 * the same alerts as the daemon that evaluates them, running or not.
 */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const limit = int(ctx, "limit", 1, 1000) ?? 100;
  const store = await ctx.openLocal();
  const items: Alert[] = await store.alerts.list({ all: ctx.opts.all === true, limit });
  await emit(ctx, {
    json: () => ({ items }),
    plain: () => items.map((a) => styled([a.state, a.kpi, fmt(a.value), a.startedAt, plainText(a.message)].join("\t"))),
    human: async () => {
      if (items.length === 0) {
        ctx.out.line(ctx.opts.all === true ? "no alerts recorded" : "no active alerts (--all shows the resolved ones)");
        return;
      }
      const { colors } = ctx.out;
      const paint = (s: Alert["state"]) => styled(s === "firing" ? colors.red(s) : s === "pending" ? colors.yellow(s) : colors.green(s));
      await ctx.out.table(
        ["STATE", "KPI", "VALUE", "THRESHOLD", "STARTED", "FIRED", "RESOLVED"],
        items.map((a) => [
          paint(a.state),
          a.kpi,
          `${fmt(a.value)} ${a.unit}`,
          `${a.comparison} ${fmt(a.threshold)} ${a.unit}`,
          shortTime(a.startedAt),
          shortTime(a.firedAt),
          shortTime(a.resolvedAt),
        ]),
      );
    },
  });
  return undefined;
}
