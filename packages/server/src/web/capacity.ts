import { diskSize, storePath } from "../metrics/disk-size.js";

/** One capacity point: epoch seconds, sessions in the store, bytes on disk (null when not measurable). */
export type CapacityPoint = [t: number, sessions: number, diskBytes: number | null];

/** Capacity over time and its growth trend, for the page. */
export interface CapacityView {
  readonly points: readonly CapacityPoint[];
  /** Least-squares slope over the points kept; null with fewer than two. */
  readonly sessionsPerHour: number | null;
  readonly diskBytesPerHour: number | null;
}

/** Points kept: a day at one every 60 s at most. */
const KEEP = 1440;

function slopePerHour(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? null : (num / den) * 3600;
}

/**
 * Sessions and disk over time, sampled when the page asks for its figures (at most one point per
 * `everyMs`, so no timer runs while nobody looks), kept in memory since the daemon started.
 */
export class CapacityHistory {
  private readonly points: CapacityPoint[] = [];
  private readonly path: string | undefined;

  constructor(
    storeUrl: string,
    private readonly everyMs = 10_000,
  ) {
    this.path = storePath(storeUrl);
  }

  /** Adds a point for `sessions` now (unless the last is recent) and returns the view. */
  async observe(sessions: number, now = Date.now()): Promise<CapacityView> {
    const last = this.points[this.points.length - 1];
    if (last === undefined || now - last[0] * 1000 >= this.everyMs) {
      const disk = this.path === undefined ? undefined : await diskSize(this.path);
      this.points.push([now / 1000, sessions, disk ?? null]);
      if (this.points.length > KEEP) this.points.shift();
    }
    const withDisk = this.points.filter((p) => p[2] !== null);
    return {
      points: this.points,
      sessionsPerHour: slopePerHour(
        this.points.map((p) => p[0]),
        this.points.map((p) => p[1]),
      ),
      diskBytesPerHour: slopePerHour(
        withDisk.map((p) => p[0]),
        withDisk.map((p) => p[2]!),
      ),
    };
  }
}
