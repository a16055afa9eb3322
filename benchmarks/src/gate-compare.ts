import { mannWhitneyU, median } from "./stats.js";

/**
 * How strict the interleaved gate is. The defaults were measured with `pnpm bench:gate-eval`
 * on the shared 2-core development machine (reports/gate.md).
 */
export interface RoundsCompareOptions {
  /** Smallest slowdown that counts: head's median of round medians ÷ base's, minus 1. Default 0.1 (10 %). */
  threshold?: number;
  /** And only when the one-sided rank test's p-value is below this. Default 0.05. */
  alpha?: number;
  /** Fewer rounds than this on either side cannot show a regression. Default 3. */
  minRounds?: number;
  /**
   * A result more than `threshold` slower whose p-value is not below `alpha` but below this is
   * borderline: it is re-run too, and is a regression only if the fresh rounds on their own show
   * it (see {@link confirmedRegression}). Default 0.25.
   */
  screenAlpha?: number;
}

export interface RoundsComparison {
  /** Per-round medians (ms) of the base and the head, in the order they ran. */
  readonly base: readonly number[];
  readonly head: readonly number[];
  readonly baseMedian: number;
  readonly headMedian: number;
  /** headMedian ÷ baseMedian − 1. */
  readonly change: number;
  /** One-sided p-value of "head's rounds are slower" (exact permutation test of the rank sum). */
  readonly p: number;
  /** Slower by more than the threshold and significant: a suspected regression. */
  readonly slower: boolean;
  /** Slower by more than the threshold, not significant, but p below `screenAlpha`: re-run to decide. */
  readonly borderline: boolean;
}

export function roundsOptions(options: RoundsCompareOptions = {}): Required<RoundsCompareOptions> {
  return {
    threshold: options.threshold ?? 0.1,
    alpha: options.alpha ?? 0.05,
    minRounds: options.minRounds ?? 3,
    screenAlpha: options.screenAlpha ?? 0.25,
  };
}

/** Largest total sample count the exact test enumerates; past it the normal approximation is used. */
const EXACT_LIMIT = 40;

/**
 * One-sided p-value that `x` tends to be greater than `y`, by the exact permutation distribution of
 * the Wilcoxon rank sum (Mann–Whitney U) with mid-ranks for ties: valid for the handful of rounds a
 * gate runs, where the normal approximation is poor. Counts, over every way to pick |x| of the pooled
 * ranks, how many reach a rank sum at least x's: a dynamic programme over (picked, sum) in half-ranks.
 */
export function rankSumPGreater(x: readonly number[], y: readonly number[]): number {
  const n1 = x.length;
  const n = n1 + y.length;
  if (n1 === 0 || y.length === 0) return 1;
  if (n > EXACT_LIMIT) return mannWhitneyU(x, y).pGreater;
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  // Doubled mid-ranks, so ties stay integers.
  const ranks: number[] = new Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = i + j + 2;
    i = j + 1;
  }
  let observed = 0;
  for (let k = 0; k < n; k++) if (all[k]!.g === 0) observed += ranks[k]!;
  const maxSum = ranks.reduce((a, b) => a + b, 0);
  // ways[c][s]: subsets of the ranks seen so far with c members and doubled sum s (floats: C(40,20) < 2^53).
  let ways: Float64Array[] = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  for (const r of ranks) {
    const next = ways.map((row) => row.slice());
    for (let c = 0; c < n1; c++) {
      const from = ways[c]!;
      const to = next[c + 1]!;
      for (let s = 0; s + r <= maxSum; s++) if (from[s]! > 0) to[s + r]! += from[s]!;
    }
    ways = next;
  }
  let total = 0;
  let atLeast = 0;
  const last = ways[n1]!;
  for (let s = 0; s <= maxSum; s++) {
    total += last[s]!;
    if (s >= observed) atLeast += last[s]!;
  }
  return total > 0 ? atLeast / total : 1;
}

/**
 * Compares one result's per-round medians, base against head. Each round is a fresh child process
 * run right beside the other tree's, so rounds are the independent units (thousands of samples from
 * one process are not: they share its heap layout, JIT and the machine's load of that moment). The
 * effect is the ratio of the medians of round medians, robust to one outlier round; the rank test
 * asks whether head's rounds sit above base's more than chance would put them.
 */
export function compareRounds(base: readonly number[], head: readonly number[], options: RoundsCompareOptions = {}): RoundsComparison {
  const o = roundsOptions(options);
  const baseMedian = base.length > 0 ? median(base) : Number.NaN;
  const headMedian = head.length > 0 ? median(head) : Number.NaN;
  const change = baseMedian > 0 ? headMedian / baseMedian - 1 : 0;
  const p = rankSumPGreater(head, base);
  const enough = base.length >= o.minRounds && head.length >= o.minRounds;
  const slower = enough && change > o.threshold && p < o.alpha;
  return {
    base,
    head,
    baseMedian,
    headMedian,
    change,
    p,
    slower,
    borderline: enough && !slower && change > o.threshold && p < o.screenAlpha,
  };
}

/**
 * The verdict after "confirm by re-running". A suspect from the first rounds (`slower`) is a
 * regression only if, with the fresh rounds run afterwards added to its first ones (`rerun`), it
 * is still slower by the same test: a few unlucky first rounds are outvoted by the re-run, while a
 * real slowdown is in every round and the combined rounds give the test more power than either set
 * alone. A borderline result (slower by more than the threshold, p between `alpha` and
 * `screenAlpha`) is a regression only if the fresh rounds on their own (`fresh`) are slower: judged
 * apart from the rounds that made it borderline, its false-alarm rate stays below `alpha` times
 * the share of results that are borderline, while a real slowdown the first rounds only hinted at
 * (a noisy job) is caught.
 */
export function confirmedRegression(
  first: RoundsComparison,
  rerun: RoundsComparison | undefined,
  fresh?: RoundsComparison | undefined,
): boolean {
  if (first.slower) return rerun?.slower === true;
  return first.borderline && fresh?.slower === true;
}

/**
 * The gate's verdict on one result: {@link confirmedRegression}, except that with no re-run rounds
 * asked for (`--confirm-rounds 0`, confirmation turned off) a suspect is a regression as it stands
 * (and a borderline result is not).
 */
export function isRegression(
  first: RoundsComparison,
  rerun: RoundsComparison | undefined,
  confirmRounds: number,
  fresh?: RoundsComparison | undefined,
): boolean {
  return confirmRounds === 0 ? first.slower : confirmedRegression(first, rerun, fresh);
}

/** The re-measured comparison of a suspect: its first rounds and the re-run's, together. */
export function combineRounds(
  first: RoundsComparison,
  rerunBase: readonly number[],
  rerunHead: readonly number[],
  options: RoundsCompareOptions = {},
): RoundsComparison {
  return compareRounds([...first.base, ...rerunBase], [...first.head, ...rerunHead], options);
}
