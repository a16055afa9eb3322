import type { AgentStatus, SessionStatus } from "@statehouse/core";

/**
 * The KPIs of the v2 performance report's monitoring section, with its alert thresholds, and
 * how the dashboard computes each from what the store holds and from its own timings. The
 * dashboard is one process among many and the store keeps no latency or error log, so the
 * latency and error KPIs are what this dashboard itself measures against the store — a probe, not
 * a fleet-wide average — and say so on screen.
 */
export interface Kpi {
  readonly key: string;
  readonly label: string;
  /** The measured value, or null when there is nothing to measure yet. */
  readonly value: number | null;
  readonly unit: "ms" | "%";
  readonly threshold: number;
  /** `max`: alert when value > threshold; `min`: alert when value < threshold. */
  readonly kind: "max" | "min";
  /** True when the value crosses the threshold; false when it does not or when there is no data. */
  readonly alert: boolean;
  /** How the value is obtained (shown with --json and documented in the README). */
  readonly basis: string;
}

export interface KpiInputs {
  /** Durations (ms) of the dashboard's recent probe state queries. */
  readonly queryMs: readonly number[];
  /** Durations (ms) of the dashboard's recent session reads (counts by status, recent sessions). */
  readonly sessionMs: readonly number[];
  /** Operations this dashboard ran against the store, and how many failed. */
  readonly operations: number;
  readonly failedOperations: number;
  readonly sessionsByStatus: Readonly<Record<SessionStatus, number>>;
  readonly agentsByStatus: Readonly<Record<AgentStatus, number>>;
  /** Failed agents that never sent a heartbeat: they failed to come up. */
  readonly failedBeforeHeartbeat: number;
  /** Duration (ms) of the last full refresh. */
  readonly refreshMs: number | null;
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function kpi(k: Omit<Kpi, "alert">): Kpi {
  const alert = k.value !== null && (k.kind === "max" ? k.value > k.threshold : k.value < k.threshold);
  return { ...k, alert };
}

export function computeKpis(i: KpiInputs): Kpi[] {
  const settled = i.agentsByStatus.running + i.agentsByStatus.idle + i.agentsByStatus.completed + i.agentsByStatus.failed;
  const ended = i.sessionsByStatus.completed + i.sessionsByStatus.failed;
  return [
    kpi({
      key: "queryTime",
      label: "state query time",
      value: mean(i.queryMs),
      unit: "ms",
      threshold: 100,
      kind: "max",
      basis: "mean of this dashboard's last 50 probe reads of the global state document (one per refresh)",
    }),
    kpi({
      key: "sessionOpTime",
      label: "session operations",
      value: mean(i.sessionMs),
      unit: "ms",
      threshold: 200,
      kind: "max",
      basis: "mean of this dashboard's last 50 session reads (counts by status, recent sessions listing)",
    }),
    kpi({
      key: "errorRate",
      label: "error rate",
      value: i.operations === 0 ? null : (100 * i.failedOperations) / i.operations,
      unit: "%",
      threshold: 1,
      kind: "max",
      basis: "failed ÷ all store operations run by this dashboard since it started",
    }),
    kpi({
      key: "agentSpawnSuccess",
      label: "agent spawn success",
      value: settled === 0 ? null : (100 * (settled - i.failedBeforeHeartbeat)) / settled,
      unit: "%",
      threshold: 95,
      kind: "min",
      basis:
        "agents past spawning (running, idle, completed, failed) minus failed agents that never sent a heartbeat, ÷ agents past spawning",
    }),
    kpi({
      key: "sessionSuccess",
      label: "session success",
      value: ended === 0 ? null : (100 * i.sessionsByStatus.completed) / ended,
      unit: "%",
      threshold: 98,
      kind: "min",
      basis: "completed ÷ (completed + failed) sessions; active and cancelled sessions are not counted",
    }),
    kpi({
      key: "refreshTime",
      label: "dashboard refresh",
      value: i.refreshMs,
      unit: "ms",
      threshold: 500,
      kind: "max",
      basis: "duration of this dashboard's last full refresh (every read it makes), against the report's 500 ms target",
    }),
  ];
}

export function formatKpiValue(k: Kpi): string {
  if (k.value === null) return "no data";
  if (k.unit === "%") return `${k.value.toFixed(1).replace(/\.0$/, "")} %`;
  return `${k.value < 10 ? k.value.toFixed(2) : k.value.toFixed(0)} ms`;
}

export function formatThreshold(k: Kpi): string {
  return `alert ${k.kind === "max" ? ">" : "<"} ${k.threshold} ${k.unit}`;
}
