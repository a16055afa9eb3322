import { describe, expect, it } from "vitest";
import { erfc, mannWhitneyU, median, normalCdf, p99, quantileSorted, summarize, thin } from "../src/stats.js";

// Expected values computed independently with NumPy and SciPy 1.17
// (numpy.percentile, scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True), scipy.stats.norm).
describe("descriptive statistics", () => {
  it("median of odd and even counts, unsorted input", () => {
    expect(median([5, 1, 4, 2, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("p99 interpolates between order statistics like numpy.percentile", () => {
    expect(p99([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toBeCloseTo(9.91, 12);
    expect(p99(Array.from({ length: 100 }, (_, i) => i + 1))).toBeCloseTo(99.01, 12);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(Number.isNaN(quantileSorted([], 0.5))).toBe(true);
  });

  it("summarize gives median, p99, mean, extremes, throughput and count", () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.median).toBe(4.5);
    expect(s.mean).toBe(5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    expect(s.count).toBe(8);
    expect(s.throughput).toBeCloseTo(200, 10); // 1000 ms / 5 ms
    // sd = sqrt(32/7); t(7) = 2.365; rme = 100 · t · sd / sqrt(8) / mean
    expect(s.rme).toBeCloseTo((100 * 2.365 * Math.sqrt(32 / 7)) / Math.sqrt(8) / 5, 10);
  });

  it("thin keeps at most max samples spread over the whole run", () => {
    const v = Array.from({ length: 10_000 }, (_, i) => i);
    const t = thin(v, 100);
    expect(t).toHaveLength(100);
    expect(t[0]).toBe(0);
    expect(t[99]).toBe(9900);
    expect(thin([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });
});

describe("normal distribution", () => {
  it("matches scipy.stats.norm", () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 14);
    expect(0.5 * erfc(6 / Math.SQRT2)).toBeCloseTo(9.865876450376946e-10, 20);
    expect(erfc(0)).toBeCloseTo(1, 14);
  });
});

describe("Mann–Whitney U", () => {
  it("without ties matches scipy (U and all three p-values)", () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.u1).toBe(17);
    expect(r.u2).toBe(3);
    expect(r.pTwoSided).toBeCloseTo(0.11134688653314041, 12);
    expect(r.pGreater).toBeCloseTo(0.055673443266570206, 12);
    expect(r.pLess).toBeCloseTo(0.9669037101389033, 12);
  });

  it("with ties applies the tie correction like scipy", () => {
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 5, 5, 6], [2, 3, 4, 4, 5, 6, 6, 7, 7, 8, 9]);
    expect(r.u1).toBe(23.5);
    expect(r.pTwoSided).toBeCloseTo(0.027640884214298913, 12);
    expect(r.pGreater).toBeCloseTo(0.988498635310908, 12);
    expect(r.pLess).toBeCloseTo(0.013820442107149456, 12);
  });

  it("is not significant for identical samples and undefined inputs stay safe", () => {
    expect(mannWhitneyU([1, 1, 1], [1, 1, 1]).pTwoSided).toBe(1);
    expect(mannWhitneyU([], [1, 2]).pGreater).toBe(1);
  });
});
