/** In-process operation metrics: what a dashboard or an exporter reads to judge the KPIs. */
export interface OperationStats {
  readonly count: number;
  readonly errors: number;
  /** Median and p99 of the most recent (up to 1,024) latencies, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const WINDOW = 1024;

class Series {
  count = 0;
  errors = 0;
  max = 0;
  private readonly ring = new Float64Array(WINDOW);
  private filled = 0;
  private at = 0;

  record(ms: number, ok: boolean): void {
    this.count++;
    if (!ok) this.errors++;
    if (ms > this.max) this.max = ms;
    this.ring[this.at] = ms;
    this.at = (this.at + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
  }

  stats(): OperationStats {
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b);
    const q = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return { count: this.count, errors: this.errors, p50: q(0.5), p99: q(0.99), max: this.max };
  }
}

/** Told of every operation as it is recorded: an exporter (the daemon's `/metrics`) keeps its own histograms. */
export type MetricsListener = (kind: string, ms: number, ok: boolean) => void;

export class Metrics {
  private readonly series = new Map<string, Series>();
  private readonly listeners = new Set<MetricsListener>();

  /** Calls `listener` after each recorded operation, in the operation's own call; returns the function that stops it. */
  onRecord(listener: MetricsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(kind: string, ms: number, ok: boolean): void {
    for (const l of this.listeners) l(kind, ms, ok);
    let s = this.series.get(kind);
    if (s === undefined) {
      s = new Series();
      this.series.set(kind, s);
    }
    s.record(ms, ok);
  }

  /** Stats per operation kind, e.g. `state.query`, `session.create`. */
  snapshot(): Record<string, OperationStats> {
    const out: Record<string, OperationStats> = {};
    for (const [k, s] of this.series) out[k] = s.stats();
    return out;
  }
}
