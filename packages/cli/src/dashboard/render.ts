import { SESSION_STATUSES } from "@statehouse/core";
import { type Colors, visibleWidth } from "../io/color.js";
import { terminalJson, terminalText as safe } from "../io/terminal-text.js";
import type { DashboardData, SessionDetail } from "./data.js";
import { formatKpiValue, formatThreshold } from "./kpis.js";

export interface RenderOptions {
  /** Columns a line may take; Infinity when the output is not a terminal (nothing is cut). */
  readonly width: number;
  readonly height: number;
  readonly colors: Colors;
  /** Wall-clock time of the frame: the header clock and heartbeat ages. */
  readonly now: number;
  /** A problem of the last refresh, shown in red (the dashboard keeps polling). */
  readonly error?: string | undefined;
  /** Whether to show the key help line (not in --once output). */
  readonly live: boolean;
  /** Index of the selected row of Recent sessions; none when undefined. */
  readonly selected?: number | undefined;
}

function age(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

/**
 * Cuts a line to the terminal width, counting printed columns only: a colour code is copied whole
 * (never cut), and a reset follows the ellipsis only when the line has colour in it, so a line
 * without colour (NO_COLOR, a pipe) gets no escape at all. Stored text reaches here made safe,
 * so the only escapes in a line are the dashboard's own colour codes.
 */
export function fit(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  const reset = line.includes("\x1b[") ? "\x1b[0m" : "";
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
    if (w + 1 > width - 1) return `${out}…${reset}`;
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

/**
 * Shares `room` rows between lists wanting `wants` rows: each gets what it wants up to an even
 * share, and what a short list leaves is given to the longer ones — so a tall terminal is filled.
 */
export function shareRows(room: number, wants: readonly number[]): number[] {
  const got = wants.map(() => 0);
  let left = Math.max(0, room);
  let open = wants.map((_, i) => i).filter((i) => wants[i]! > 0);
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const i of open) {
      const give = Math.min(share, wants[i]! - got[i]!, left);
      got[i]! += give;
      left -= give;
    }
    open = open.filter((i) => got[i]! < wants[i]!);
  }
  return got;
}

/** Rows of a list of `n` items given `rows` lines: the items shown, and whether a "… more" line takes the last. */
function shown(n: number, rows: number): { count: number; more: boolean } {
  if (n <= rows) return { count: n, more: false };
  return { count: Math.max(0, rows - 1), more: true };
}

function header(d: { store: string }, o: RenderOptions, extra: string): string {
  const c = o.colors;
  // The clock is the frame's own time, so it moves on every tick even when the store does not.
  return `${c.bold("statehouse dashboard")}  ${safe(d.store)}   ${c.dim(`${extra}${new Date(o.now).toISOString().slice(11, 19)}`)}`;
}

/** One frame: a list of lines, each at most `width` columns, at most `height` lines. */
export function renderFrame(d: DashboardData, o: RenderOptions): string[] {
  const c = o.colors;
  const lines: string[] = [];
  lines.push(header(d, o, `sequence ${d.sequence}   `));
  if (o.error !== undefined) lines.push(c.red(`refresh failed: ${safe(o.error)}`));
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
    lines.push(
      `  ${paint(k.value === null ? "○" : "●")} ${pad(k.label, 22)}${pad(paint(formatKpiValue(k)), 12)}${pad(paint(state), 7)}${c.dim(formatThreshold(k))}`,
    );
  }
  lines.push("");
  // What remains of the screen (three titles and the help lines aside) is shared by the three lists.
  const room = Math.max(3, o.height - lines.length - 3 - (o.live ? 2 : 0));
  const changes = [...d.recentChanges].reverse();
  const [agentRows, sessionRows, changeRows] = shareRows(room, [
    Math.max(1, d.activeAgents.length),
    Math.max(1, d.recentSessions.length),
    Math.max(1, changes.length),
  ]) as [number, number, number];

  lines.push(`${c.bold("Active agents")} ${c.dim(`(${d.activeAgents.length}, of active sessions)`)}`);
  if (d.activeAgents.length === 0) lines.push(c.dim("  none"));
  const ag = shown(d.activeAgents.length, agentRows);
  for (const a of d.activeAgents.slice(0, ag.count)) {
    const stale = a.heartbeatAt !== null && o.now - Date.parse(a.heartbeatAt) > 60_000;
    const hb = age(a.heartbeatAt, o.now);
    const pid = pad(a.pid === null ? "-" : String(a.pid), 8);
    const heartbeat = `heartbeat ${stale ? c.yellow(hb) : hb}`;
    lines.push(`  ${pad(safe(a.id), 28)} ${pad(safe(a.role), 14)} ${pad(a.status, 9)} ${pid} ${heartbeat}  ${c.dim(safe(a.sessionId))}`);
  }
  if (ag.more) lines.push(c.dim(`  … ${d.activeAgents.length - ag.count} more`));

  lines.push(`${c.bold("Recent sessions")}${o.live ? c.dim("  ↑/↓ select, Enter open") : ""}`);
  if (d.recentSessions.length === 0) lines.push(c.dim("  none"));
  const se = shown(d.recentSessions.length, sessionRows);
  // The window follows the selection, so the selected row is always on screen.
  const first = o.selected === undefined || se.count === 0 ? 0 : Math.max(0, o.selected - se.count + 1);
  d.recentSessions.slice(first, first + se.count).forEach((s, i) => {
    const mark = o.selected === first + i;
    const name = s.name === s.id ? "" : safe(s.name);
    const text = `${pad(safe(s.id), 28)} ${pad(statusColor[s.status]!(s.status), 10)} agents ${pad(String(s.agentCount), 4)} ${name}`;
    lines.push(mark ? `${c.bold("›")} ${c.bold(text)}` : `  ${text}`);
  });
  if (se.more) lines.push(c.dim(`  … ${d.recentSessions.length - se.count} more`));

  lines.push(c.bold("Recent changes"));
  if (changes.length === 0) lines.push(c.dim("  none"));
  for (const set of changes.slice(0, changeRows)) {
    const what = set.changes
      .map((ch) => `${ch.type === "delete" ? c.red("del") : "put"} ${safe(ch.collection)}/${safe(ch.id)}@${ch.revision}`)
      .join(", ");
    lines.push(`  ${c.dim(`#${set.sequence}`)} ${c.dim(set.at.slice(11, 23))} ${what}`);
  }
  if (o.live) {
    lines.push("");
    lines.push(c.dim("q quit   ↑/↓ or j/k select a session   Enter open"));
  }
  return lines.slice(0, o.height).map((l) => fit(l, o.width));
}

export interface SessionRenderOptions extends RenderOptions {
  /** First line of the state document shown (the view scrolls). */
  readonly scroll: number;
}

/** The state document as terminal-safe lines of indented JSON. */
export function stateLines(detail: SessionDetail): string[] {
  if (detail.state.value === undefined) return [];
  // JSON escapes C0 controls; terminalJson the rest: each line is safe and still valid JSON text.
  return terminalJson(JSON.stringify(detail.state.value, null, 2)).split("\n");
}

/** Rows of a session's page for its agents and for its state document, below `above` lines of header. */
function sessionRows(detail: SessionDetail, docLines: number, above: number, o: RenderOptions): [number, number] {
  const room = Math.max(4, o.height - above - 2 - (o.live ? 2 : 0));
  return shareRows(room, [Math.max(1, detail.agents.length), Math.max(1, docLines)]) as [number, number];
}

/** The furthest the state document scrolls: its last line at the bottom of the screen. */
export function maxScroll(detail: SessionDetail, o: RenderOptions): number {
  const doc = stateLines(detail).length;
  const above = 5 + (o.error === undefined ? 0 : 1) + (Object.keys(detail.session.metadata).length > 0 ? 1 : 0);
  return Math.max(0, doc - sessionRows(detail, doc, above, o)[1]);
}

/** A session's page: its fields, its agents and its state document, scrolled to `scroll`. */
export function renderSession(d: { store: string }, detail: SessionDetail, o: SessionRenderOptions): string[] {
  const c = o.colors;
  const s = detail.session;
  const lines: string[] = [header(d, o, "")];
  if (o.error !== undefined) lines.push(c.red(`refresh failed: ${safe(o.error)}`));
  lines.push("");
  const name = s.name === s.id ? "" : `   name ${safe(s.name)}`;
  lines.push(`${c.bold("Session")} ${safe(s.id)}   ${s.status}   agents ${s.agentCount}${name}`);
  const ended = s.endedAt === undefined ? "" : `   ended ${s.endedAt}`;
  const project = s.project === undefined ? "" : `   project ${safe(s.project)}`;
  lines.push(c.dim(`  created ${s.createdAt}   updated ${s.updatedAt}${ended}${project}`));
  if (Object.keys(s.metadata).length > 0) lines.push(`  metadata ${terminalJson(JSON.stringify(s.metadata))}`);
  lines.push("");
  const doc = stateLines(detail);
  const [agentRows, docRows] = sessionRows(detail, doc.length, lines.length, o);
  lines.push(`${c.bold("Agents")} ${c.dim(`(${detail.agents.length}${detail.moreAgents ? "+" : ""})`)}`);
  if (detail.agents.length === 0) lines.push(c.dim("  none"));
  const ag = shown(detail.agents.length, agentRows);
  for (const a of detail.agents.slice(0, ag.count)) {
    lines.push(`  ${pad(safe(a.id), 28)} ${pad(safe(a.role), 14)} ${pad(a.status, 9)} heartbeat ${age(a.heartbeatAt, o.now)}`);
  }
  if (ag.more) lines.push(c.dim(`  … ${detail.agents.length - ag.count} more`));
  if (doc.length === 0) {
    lines.push(c.bold("State"));
    lines.push(c.dim("  no state document"));
  } else {
    const top = Math.max(0, Math.min(o.scroll, doc.length - docRows));
    const bottom = Math.min(doc.length, top + docRows);
    const where = doc.length > docRows ? c.dim(`  lines ${top + 1}–${bottom} of ${doc.length}, ↑/↓ scroll`) : "";
    lines.push(`${c.bold("State")} ${c.dim(`(revision ${detail.state.revision})`)}${where}`);
    for (const l of doc.slice(top, bottom)) lines.push(`  ${l}`);
  }
  if (o.live) {
    lines.push("");
    lines.push(c.dim("Esc/q back   ↑/↓ or j/k scroll"));
  }
  return lines.slice(0, o.height).map((l) => fit(l, o.width));
}
