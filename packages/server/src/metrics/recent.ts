/** Latencies kept per operation for the page's percentiles: the most recent ones, a fixed amount of memory. */
const WINDOW = 512;

/** Count, errors, mean and percentiles (ms) of one operation kind, over its most recent calls. */
export interface RecentStats {
  readonly count: number;
  readonly errors: number;
  readonly avgMs: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

class Ring {
  count = 0;
  errors = 0;
  private readonly ms = new Float64Array(WINDOW);
  private filled = 0;
  private at = 0;

  add(ms: number, ok: boolean): void {
    this.count++;
    if (!ok) this.errors++;
    this.ms[this.at] = ms;
    this.at = (this.at + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
  }

  stats(): RecentStats {
    const sorted = Array.from(this.ms.subarray(0, this.filled)).sort((a, b) => a - b);
    const q = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    const avg = sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length;
    return { count: this.count, errors: this.errors, avgMs: avg, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
  }
}

/** Per-operation recent latencies (the operation kinds are a fixed set of the library's names). */
export class RecentLatencies {
  private readonly rings = new Map<string, Ring>();

  add(kind: string, ms: number, ok: boolean): void {
    let r = this.rings.get(kind);
    if (r === undefined) {
      r = new Ring();
      this.rings.set(kind, r);
    }
    r.add(ms, ok);
  }

  stats(): Record<string, RecentStats> {
    const out: Record<string, RecentStats> = {};
    for (const [k, r] of this.rings) out[k] = r.stats();
    return out;
  }
}
