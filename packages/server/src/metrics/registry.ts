import { AGENT_STATUSES, SESSION_STATUSES, type StoreApi } from "@statehouse/core";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EventStats } from "../events.js";
import { diskSize, storePath } from "./disk-size.js";
import { RecentLatencies } from "./recent.js";

/** Latency buckets in seconds: 0.1 ms to 1 s. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** What the metrics read from the app. */
export interface MetricsSources {
  readonly store: StoreApi;
  readonly storeUrl: string;
  readonly events: EventStats;
}

/** The registry and the instruments the app's hooks feed. */
export interface StatehouseMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<"route" | "method" | "status_class">;
  readonly errors: Counter<"code">;
  readonly conflicts: Counter;
  /** Records removed by the daemon's retention runs, by kind (sessions, agents, change sets, …). */
  readonly gcRemoved: Counter<"kind">;
  /** Recent latencies per operation, for the web page's percentiles and KPI tiles. */
  readonly recent: RecentLatencies;
  /** Failures so far by error code (the page's lock-timeout rate). */
  errorCounts(): Promise<Record<string, number>>;
  /** Stops listening to the store's operations. */
  stop(): void;
}

/** The store's operation recorder, where the store has one (in process; a remote client has none). */
interface Recorder {
  onRecord(listener: (kind: string, ms: number, ok: boolean) => void): () => void;
}

function recorderOf(store: StoreApi): Recorder | undefined {
  const m = (store as { metrics?: Partial<Recorder> }).metrics;
  return typeof m?.onRecord === "function" ? (m as Recorder) : undefined;
}

/** `sqlite:/x.db` → `sqlite`: the adapter label (a handful of values, never a path). */
export function adapterOf(storeUrl: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(storeUrl);
  return m === null ? "unknown" : m[1]!.toLowerCase();
}

/**
 * Builds the daemon's Prometheus registry. Operation latencies come from the store's own recorder (so
 * every operation the daemon runs counts, whichever route ran it); session and agent gauges are counted
 * from the store at scrape time, so writes by other processes count too. Labels are operation kinds,
 * route patterns, statuses and error codes: bounded sets, never an id.
 */
export function createMetrics(src: MetricsSources): StatehouseMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "statehouse_" });
  const adapter = adapterOf(src.storeUrl);

  const opDuration = new Histogram({
    name: "statehouse_operation_duration_seconds",
    help: "Store operation latency by operation, adapter and outcome.",
    labelNames: ["operation", "adapter", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ops = new Counter({
    name: "statehouse_operations_total",
    help: "Store operations by operation, adapter and outcome.",
    labelNames: ["operation", "adapter", "outcome"] as const,
    registers: [registry],
  });
  const recent = new RecentLatencies();
  const stop =
    recorderOf(src.store)?.onRecord((kind, ms, ok) => {
      recent.add(kind, ms, ok);
      const labels = { operation: kind, adapter, outcome: ok ? "ok" : "error" };
      opDuration.observe(labels, ms / 1000);
      ops.inc(labels);
    }) ?? (() => {});

  const httpDuration = new Histogram({
    name: "statehouse_http_request_duration_seconds",
    help: "HTTP request latency by route pattern, method and status class.",
    labelNames: ["route", "method", "status_class"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: "statehouse_errors_total",
    help: "Requests that failed, by the library's error code.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const conflicts = new Counter({
    name: "statehouse_conflicts_total",
    help: "Writes refused because of a conflicting revision (E_CONFLICT).",
    registers: [registry],
  });

  let droppedSeen = 0;
  new Counter({
    name: "statehouse_event_stream_clients_dropped_total",
    help: "Event-stream clients dropped because they read too slowly.",
    registers: [registry],
    collect() {
      const now = src.events.dropped;
      if (now > droppedSeen) this.inc(now - droppedSeen);
      droppedSeen = now;
    },
  });
  new Gauge({
    name: "statehouse_event_stream_clients",
    help: "Event-stream clients connected now.",
    registers: [registry],
    collect() {
      this.set(src.events.active);
    },
  });
  new Gauge({
    name: "statehouse_sessions",
    help: "Sessions in the store by status (counted from the store at scrape time, other processes' writes included).",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(SESSION_STATUSES.map((s) => src.store.sessions.count(s)));
      SESSION_STATUSES.forEach((status, i) => {
        this.set({ status }, counts[i]!);
      });
    },
  });
  new Gauge({
    name: "statehouse_agents",
    help: "Agents in the store by status (counted from the store at scrape time).",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(AGENT_STATUSES.map((s) => src.store.agents.count(s)));
      AGENT_STATUSES.forEach((status, i) => {
        this.set({ status }, counts[i]!);
      });
    },
  });
  const path = storePath(src.storeUrl);
  if (path !== undefined) {
    new Gauge({
      name: "statehouse_store_size_bytes",
      help: "Bytes the store takes on disk (absent when too large a directory to measure cheaply).",
      registers: [registry],
      async collect() {
        const size = await diskSize(path);
        if (size === undefined) this.reset();
        else this.set(size);
      },
    });
  }
  const errorCounts = async () => {
    const out: Record<string, number> = {};
    for (const v of (await errors.get()).values) out[String(v.labels.code)] = v.value;
    return out;
  };
  const gcRemoved = new Counter({
    name: "statehouse_gc_removed_total",
    help: "Records removed by the daemon's retention (gc) runs, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  return { registry, httpDuration, errors, conflicts, gcRemoved, recent, errorCounts, stop };
}
