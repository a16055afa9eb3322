import type { Stats } from "./types.js";

/** Sorts a copy ascending; the statistics below expect sorted input where they say so. */
export function sorted(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of sorted samples, interpolating linearly between order
 * statistics (Hyndman–Fan type 7, the definition of R, NumPy and tinybench).
 */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sorted(values), 0.5);
}

export function p99(values: readonly number[]): number {
  return quantileSorted(sorted(values), 0.99);
}

// Two-sided 95 % critical values of Student's t for 1–30 degrees of freedom; past 30 the
// normal value is close enough for a margin of error shown with two significant digits.
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Statistics of latency samples in milliseconds. */
export function summarize(values: readonly number[]): Stats {
  const s = sorted(values);
  const n = s.length;
  if (n === 0)
    return {
      median: Number.NaN,
      p99: Number.NaN,
      mean: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
      throughput: 0,
      rme: Number.NaN,
      count: 0,
    };
  let sum = 0;
  for (const v of s) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of s) ss += (v - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const t = n > 1 ? (T95[n - 2] ?? 1.96) : 0;
  return {
    median: quantileSorted(s, 0.5),
    p99: quantileSorted(s, 0.99),
    mean,
    min: s[0]!,
    max: s[n - 1]!,
    throughput: mean > 0 ? 1000 / mean : 0,
    rme: mean > 0 ? (100 * t * sd) / Math.sqrt(n) / mean : 0,
    count: n,
  };
}

/**
 * At most `max` samples, taken evenly across the recorded order, so a long run's JSON stays
 * small while a rank test on the kept samples still sees the whole run (early and late).
 */
export function thin(values: readonly number[], max: number): number[] {
  if (values.length <= max) return [...values];
  const out: number[] = [];
  const step = values.length / max;
  for (let i = 0; i < max; i++) out.push(values[Math.floor(i * step)]!);
  return out;
}

/** Standard normal cumulative distribution, via a complementary error function accurate to ~1e-14. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// erfc by the continued-fraction/Chebyshev fit of Numerical Recipes (erfccheb), relative
// error below 1.2e-16 over the real line: p-values far in the tail stay meaningful.
const COF = [
  -1.3026537197817094, 6.419697923564902e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
  4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
  5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
  3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

function erfccheb(z: number): number {
  let d = 0;
  let dd = 0;
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  for (let j = COF.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + COF[j]!;
    dd = tmp;
  }
  return t * Math.exp(-z * z + 0.5 * (COF[0]! + ty * d) - dd);
}

export function erfc(x: number): number {
  return x >= 0 ? erfccheb(x) : 2 - erfccheb(-x);
}

export interface MannWhitneyResult {
  /** U of the first sample: how many (x, y) pairs have x > y, ties counting one half. */
  readonly u1: number;
  readonly u2: number;
  /** Normal-approximation z of U1, with tie and continuity correction. */
  readonly z: number;
  /** Two-sided p-value. */
  readonly pTwoSided: number;
  /** One-sided p-value for "x tends to be greater than y". */
  readonly pGreater: number;
  /** One-sided p-value for "x tends to be less than y". */
  readonly pLess: number;
}

/**
 * The Mann–Whitney U rank test, with the normal approximation, the tie correction of the
 * variance and a continuity correction (as scipy's `mannwhitneyu(method="asymptotic")`).
 * It needs no assumption about the shape of latency distributions, which are skewed.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u1: Number.NaN, u2: Number.NaN, z: 0, pTwoSided: 1, pGreater: 1, pLess: 1 };
  const all: { v: number; g: 0 | 1 }[] = [];
  for (const v of x) all.push({ v, g: 0 });
  for (const v of y) all.push({ v, g: 1 });
  all.sort((a, b) => a.v - b.v);
  const n = n1 + n2;
  let r1 = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2; // average of ranks i+1 … j+1
    const t = j - i + 1;
    if (t > 1) tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) r1 += rank;
    i = j + 1;
  }
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u1, u2, z: 0, pTwoSided: 1, pGreater: 1, pLess: 1 };
  const sd = Math.sqrt(variance);
  const zGreater = (u1 - mu - 0.5) / sd;
  const zLess = (u1 - mu + 0.5) / sd;
  // Upper tails through erfc directly: 1 − Φ(z) would round to 0 for large z.
  const pGreater = Math.min(1, 0.5 * erfc(zGreater / Math.SQRT2));
  const pLess = Math.min(1, 0.5 * erfc(-zLess / Math.SQRT2));
  const zTwo = (Math.abs(u1 - mu) - 0.5) / sd;
  const pTwoSided = Math.min(1, erfc(zTwo / Math.SQRT2));
  return { u1, u2, z: (u1 - mu) / sd, pTwoSided, pGreater, pLess };
}
