import { SESSION_STATUSES } from "@statehouse/core";
import { type Colors, visibleWidth } from "../io/color.js";
import type { DashboardData } from "./data.js";
import { formatKpiValue, formatThreshold } from "./kpis.js";

export interface RenderOptions {
  readonly width: number;
  readonly height: number;
  readonly colors: Colors;
  /** Wall-clock time of the frame (heartbeat ages are relative to it). */
  readonly now: number;
  /** A problem of the last refresh, shown in red (the dashboard keeps polling). */
  readonly error?: string | undefined;
  /** Whether to show the key help line (not in --once output). */
  readonly live: boolean;
}

function age(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

function clock(iso: string): string {
  return iso.slice(11, 23);
}

/** Cuts a line to the terminal width, counting printed columns only (ANSI codes take none). */
function fit(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  let out = "";
  let w = 0;
  for (let i = 0; i < line.length; ) {
    const m = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(line.slice(i));
    if (m !== null) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (w + 1 > width - 1) return `${out}…\x1b[0m`;
    out += ch;
    w++;
    i += ch.length;
  }
  return out;
}

function pad(text: string, n: number): string {
  const w = visibleWidth(text);
  return w >= n ? text : text + " ".repeat(n - w);
}

/** One frame: a list of lines, each at most `width` columns, at most `height` lines. */
export function renderFrame(d: DashboardData, o: RenderOptions): string[] {
  const c = o.colors;
  const lines: string[] = [];
  lines.push(`${c.bold("statehouse dashboard")}  ${d.store}   ${c.dim(`sequence ${d.sequence}   ${clock(d.at)}`)}`);
  if (o.error !== undefined) lines.push(c.red(`refresh failed: ${o.error}`));
  lines.push("");
  const statusColor: Record<string, (t: string) => string> = { active: c.cyan, completed: c.green, failed: c.red, cancelled: c.yellow };
  lines.push(
    `${c.bold("Sessions")}  ${SESSION_STATUSES.map((s) => `${statusColor[s]!(s)} ${d.sessionsByStatus[s]}`).join("   ")}   ${c.dim(`total ${d.totalSessions}`)}`,
  );
  lines.push(
    `${c.bold("Agents")}    ${Object.entries(d.agentsByStatus)
      .map(([s, n]) => `${s} ${n}`)
      .join("   ")}`,
  );
  lines.push("");
  lines.push(c.bold("KPIs"));
  for (const k of d.kpis) {
    const paint = k.value === null ? c.dim : k.alert ? c.red : c.green;
    const state = k.value === null ? "" : k.alert ? "ALERT" : "ok";
    lines.push(`  ${paint(k.value === null ? "○" : "●")} ${pad(k.label, 22)}${pad(paint(formatKpiValue(k)), 12)}${pad(paint(state), 7)}${c.dim(formatThreshold(k))}`);
  }
  lines.push("");
  // What remains of the screen is shared by the three lists.
  const fixed = lines.length + 3 * 2 + (o.live ? 2 : 0);
  const room = Math.max(3, o.height - fixed);
  const per = Math.max(1, Math.floor(room / 3));
  lines.push(`${c.bold("Active agents")} ${c.dim(`(${d.activeAgents.length}${d.activeAgents.length >= 50 ? "+" : ""})`)}`);
  if (d.activeAgents.length === 0) lines.push(c.dim("  none"));
  for (const a of d.activeAgents.slice(0, per)) {
    const stale = a.heartbeatAt !== null && o.now - Date.parse(a.heartbeatAt) > 60_000;
    const hb = age(a.heartbeatAt, o.now);
    lines.push(`  ${pad(a.id, 28)} ${pad(a.role, 14)} ${pad(a.status, 9)} ${pad(a.pid === null ? "-" : String(a.pid), 8)} heartbeat ${stale ? c.yellow(hb) : hb}  ${c.dim(a.sessionId)}`);
  }
  if (d.activeAgents.length > per) lines.push(c.dim(`  … ${d.activeAgents.length - per} more`));
  lines.push(c.bold("Recent sessions"));
  if (d.recentSessions.length === 0) lines.push(c.dim("  none"));
  for (const s of d.recentSessions.slice(0, per)) {
    lines.push(`  ${pad(s.id, 28)} ${pad(statusColor[s.status]!(s.status), 10)} agents ${pad(String(s.agentCount), 4)} ${s.name === s.id ? "" : s.name}`);
  }
  lines.push(c.bold("Recent changes"));
  if (d.recentChanges.length === 0) lines.push(c.dim("  none"));
  for (const set of [...d.recentChanges].reverse().slice(0, per)) {
    const what = set.changes.map((ch) => `${ch.type === "delete" ? c.red("del") : "put"} ${ch.collection}/${ch.id}@${ch.revision}`).join(", ");
    lines.push(`  ${c.dim(`#${set.sequence}`)} ${c.dim(clock(set.at))} ${what}`);
  }
  if (o.live) {
    lines.push("");
    lines.push(c.dim("q quit"));
  }
  return lines.slice(0, o.height).map((l) => fit(l, o.width));
}
