import { AsyncLocalStorage } from "node:async_hooks";
import { SESSION_STATUSES, type Store } from "@statehouse/core";

/** Cumulative figures at one moment: a KPI over a window is the difference of two samples. */
export interface Sample {
  /** Epoch ms. */
  readonly t: number;
  /** Store operations by KPI group (count, failures, summed latency in ms), as recorded in this process. */
  readonly ops: Readonly<Record<OpGroup, OpTotals>>;
  /** Requests that failed, by the library's error code (the daemon's HTTP error counter). */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** Process CPU time (user + system), microseconds. */
  readonly cpuMicros: number;
  readonly rssBytes: number;
  /** The store's change sequence: each commit writes the disk at least once. */
  readonly sequence: number;
  /** Sessions by status, counted from the store (other processes' writes included). */
  readonly sessions: Readonly<Record<string, number>>;
  readonly streamDrops: number;
}

export interface OpTotals {
  readonly count: number;
  readonly errors: number;
  readonly ms: number;
}

export type OpGroup = "all" | "stateQuery" | "session" | "dashboard" | "spawn";

/** Which KPI groups an operation kind of the store's recorder counts in. */
function groupsOf(kind: string): OpGroup[] {
  // The evaluator's own writes are not the workload it judges.
  if (kind.startsWith("alert.")) return [];
  const g: OpGroup[] = ["all"];
  if (kind === "state.query" || kind === "state.read") g.push("stateQuery");
  else if (kind.startsWith("session.")) g.push("session");
  else if (kind === "dashboard.snapshot") g.push("dashboard");
  else if (kind === "agent.spawn") g.push("spawn");
  return g;
}

/** What the sampler reads besides the store. */
export interface SamplerSources {
  readonly store: Store;
  errorCounts(): Promise<Record<string, number>>;
  readonly events: { readonly dropped: number };
}

/** Most samples kept: a day at one every 10 s; a shorter interval keeps a shorter past. */
const MAX_SAMPLES = 8640;

/**
 * Keeps cumulative counters from the store's operation recorder and takes samples of them (and of
 * the process and the store) at each evaluation, so that a KPI over any window up to the oldest
 * sample is two lookups and a subtraction: bounded memory, no per-operation history.
 */
export class Sampler {
  private readonly totals: Record<OpGroup, { count: number; errors: number; ms: number }> = {
    all: { count: 0, errors: 0, ms: 0 },
    stateQuery: { count: 0, errors: 0, ms: 0 },
    session: { count: 0, errors: 0, ms: 0 },
    dashboard: { count: 0, errors: 0, ms: 0 },
    spawn: { count: 0, errors: 0, ms: 0 },
  };
  private readonly samples: Sample[] = [];
  private readonly unsubscribe: () => void;
  /** Marks the evaluator's own reads, so its session counts and listings never count as the workload it judges. */
  private readonly own = new AsyncLocalStorage<true>();

  constructor(private readonly src: SamplerSources) {
    // The recorder calls listeners inside the operation's own call: the caller's async context is current.
    this.unsubscribe = src.store.metrics.onRecord((kind, ms, ok) => {
      if (this.own.getStore() === true) return;
      for (const g of groupsOf(kind)) {
        const t = this.totals[g];
        t.count++;
        if (!ok) t.errors++;
        t.ms += ms;
      }
    });
  }

  /** Runs the evaluator's own work: the store operations it makes are not counted. */
  unobserved<T>(fn: () => Promise<T>): Promise<T> {
    return this.own.run(true, fn);
  }

  /** Takes a sample now and keeps it. */
  async sample(): Promise<Sample> {
    const counts = await Promise.all(SESSION_STATUSES.map((s) => this.src.store.sessions.count(s)));
    const cpu = process.cpuUsage();
    const ops = Object.fromEntries(Object.entries(this.totals).map(([k, v]) => [k, { ...v }])) as Record<OpGroup, OpTotals>;
    const s: Sample = {
      t: Date.now(),
      ops,
      errorCodes: await this.src.errorCounts(),
      cpuMicros: cpu.user + cpu.system,
      rssBytes: process.memoryUsage.rss(),
      sequence: await this.src.store.sequence(),
      sessions: Object.fromEntries(SESSION_STATUSES.map((st, i) => [st, counts[i]!])),
      streamDrops: this.src.events.dropped,
    };
    this.samples.push(s);
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    return s;
  }

  /**
   * The sample a window of `seconds` ending at `latest` starts from: the newest one at least that
   * old, else (shortly after start) the oldest there is; undefined when there is no earlier sample.
   */
  windowStart(latest: Sample, seconds: number): Sample | undefined {
    const from = latest.t - seconds * 1000;
    let start: Sample | undefined;
    for (const s of this.samples) {
      if (s.t >= latest.t) break;
      if (s.t <= from || start === undefined) start = s;
      if (s.t > from) break;
    }
    return start;
  }

  stop(): void {
    this.unsubscribe();
  }
}
