import type { BenchResult } from "../types.js";

/** A duration in the unit that reads best: ns, µs, ms or s, three significant digits. */
export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 0.001) return `${(ms * 1e6).toPrecision(3)} ns`;
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "—";
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toPrecision(3)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toPrecision(3)} MB`;
  return `${(bytes / 1024 ** 3).toPrecision(3)} GB`;
}

export function fmtRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return "—";
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toPrecision(3)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toPrecision(3)} k/s`;
  return `${perSecond.toPrecision(3)} /s`;
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "—";
  return `${r < 0.1 ? r.toPrecision(2) : r < 10 ? r.toFixed(2) : r < 1000 ? r.toPrecision(3) : Math.round(r).toLocaleString("en-US")}×`;
}

export function fmtParams(params: Readonly<Record<string, number>>): string {
  const parts = Object.entries(params).map(([k, v]) => {
    if (k === "bytes") return fmtBytes(v);
    if (k === "sessions") return `${v.toLocaleString("en-US")} sessions`;
    if (k === "procs") return `${v} proc${v === 1 ? "" : "s"}`;
    if (k === "incrementsPerProc") return `× ${v}`;
    return `${k}=${v}`;
  });
  return parts.join(" ");
}

export function who(r: BenchResult): string {
  return r.durability === undefined ? r.adapter : `${r.adapter} (${r.durability})`;
}

/** Escapes text for a markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const SPARKS = "▁▂▃▄▅▆▇█";

/** A one-line chart of a series (missing values as a space). */
export function sparkline(values: readonly (number | undefined)[]): string {
  const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (present.length === 0) return "";
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  return values
    .map((v) => (v === undefined || !Number.isFinite(v) ? " " : SPARKS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)]!))
    .join("");
}
