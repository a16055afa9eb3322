import type { AlertKpi } from "@statehouse/core";
import type { OpGroup, Sample } from "./sampler.js";

/** What a KPI is measured from: the window's two samples, and figures that are only "now". */
export interface Observation {
  readonly start: Sample;
  readonly end: Sample;
  /** Active agents whose heartbeat is older than their project's `heartbeatTimeoutSeconds`, now. */
  readonly staleAgents: number;
}

/** A KPI: its unit, the default threshold (the v2 report's), and how to measure it over a window. */
export interface KpiDefinition {
  readonly id: AlertKpi;
  readonly comparison: ">" | "<";
  readonly threshold: number;
  readonly unit: string;
  readonly label: string;
  /** The value, or undefined when the window holds nothing to judge (no spawns, no ended sessions). */
  measure(o: Observation): number | undefined;
}

/** Fewest operations in a window before a rate is judged: two failures in three calls are not a trend. */
const MIN_OPERATIONS = 10;

const delta = (o: Observation, g: OpGroup) => {
  const a = o.start.ops[g];
  const b = o.end.ops[g];
  return { count: b.count - a.count, errors: b.errors - a.errors, ms: b.ms - a.ms };
};
const seconds = (o: Observation) => Math.max(0.001, (o.end.t - o.start.t) / 1000);
const code = (o: Observation, c: string) => Math.max(0, (o.end.errorCodes[c] ?? 0) - (o.start.errorCodes[c] ?? 0));
const ended = (o: Observation, status: string) => Math.max(0, (o.end.sessions[status] ?? 0) - (o.start.sessions[status] ?? 0));

function averageMs(g: OpGroup): (o: Observation) => number | undefined {
  return (o) => {
    const d = delta(o, g);
    return d.count === 0 ? undefined : d.ms / d.count;
  };
}

/** The KPIs, in the order the CLI and the page list them. */
export const KPIS: readonly KpiDefinition[] = [
  {
    id: "state-query-latency",
    label: "state query average",
    comparison: ">",
    threshold: 100,
    unit: "ms",
    measure: averageMs("stateQuery"),
  },
  {
    id: "session-op-latency",
    label: "session operation average",
    comparison: ">",
    threshold: 200,
    unit: "ms",
    measure: averageMs("session"),
  },
  {
    id: "dashboard-refresh-latency",
    label: "dashboard refresh average",
    comparison: ">",
    threshold: 750,
    unit: "ms",
    measure: averageMs("dashboard"),
  },
  {
    id: "cpu",
    label: "daemon CPU (one core = 100 %)",
    comparison: ">",
    threshold: 80,
    unit: "%",
    measure: (o) => ((o.end.cpuMicros - o.start.cpuMicros) / 1000 / (seconds(o) * 1000)) * 100,
  },
  {
    id: "memory",
    label: "daemon resident memory",
    comparison: ">",
    threshold: 100,
    unit: "MB",
    measure: (o) => o.end.rssBytes / 1_000_000,
  },
  {
    id: "disk-io",
    label: "commits to disk per second",
    comparison: ">",
    threshold: 50,
    unit: "ops/s",
    measure: (o) => (o.end.sequence - o.start.sequence) / seconds(o),
  },
  {
    id: "operation-failures",
    label: "failed operations",
    comparison: ">",
    threshold: 1,
    unit: "%",
    measure: (o) => {
      const d = delta(o, "all");
      return d.count < MIN_OPERATIONS ? undefined : (d.errors / d.count) * 100;
    },
  },
  { id: "corruption", label: "corrupt-store errors", comparison: ">", threshold: 0, unit: "errors", measure: (o) => code(o, "E_CORRUPT") },
  {
    id: "lock-timeouts",
    label: "lock timeouts per operation",
    comparison: ">",
    threshold: 5,
    unit: "%",
    measure: (o) => {
      const timeouts = code(o, "E_LOCK_TIMEOUT");
      // A timed-out write may never reach the recorder (it failed before the transaction): count it in the total.
      const total = Math.max(delta(o, "all").count, timeouts);
      return total === 0 ? undefined : (timeouts / total) * 100;
    },
  },
  {
    id: "agent-spawn-success",
    label: "agent spawns that succeeded",
    comparison: "<",
    threshold: 95,
    unit: "%",
    measure: (o) => {
      const d = delta(o, "spawn");
      return d.count === 0 ? undefined : ((d.count - d.errors) / d.count) * 100;
    },
  },
  {
    id: "session-success",
    label: "ended sessions that completed",
    comparison: "<",
    threshold: 98,
    unit: "%",
    measure: (o) => {
      const done = ended(o, "completed");
      const failed = ended(o, "failed");
      return done + failed === 0 ? undefined : (done / (done + failed)) * 100;
    },
  },
  { id: "stale-agents", label: "stale agents", comparison: ">", threshold: 0, unit: "agents", measure: (o) => o.staleAgents },
  {
    id: "event-stream-drops",
    label: "event-stream clients dropped",
    comparison: ">",
    threshold: 0,
    unit: "clients",
    measure: (o) => o.end.streamDrops - o.start.streamDrops,
  },
];
