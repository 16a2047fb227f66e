/**
 * Noise ceilings (docs/method.md §9): the math, in small pure functions.
 *
 * - Split-half reliability over repeated presentations, Spearman–Brown corrected (§9.1).
 * - Brain-Score's subject-pool extrapolation: a saturating curve v(k) = v0·(1 − e^(−k/τ)) fitted
 *   to bootstrapped means of held-out-subject scores at pool sizes k, v0 its asymptote (§9.2).
 *
 * Every ceiling here is in units of Pearson r: the r that a prediction of the noise-free response
 * would reach on the data as scored. Normalising divides r by it and R² by its square (§9.3).
 */
import { MT19937 } from '../random/index.js';

/**
 * Spearman–Brown prophecy: the reliability of a measurement k times as long as one whose
 * reliability is r, k·r / (1 + (k − 1)·r). k = 2 corrects a split-half r to the full length;
 * k < 1 projects down (k = 1/h: one presentation from the mean of h).
 */
export function spearmanBrown(r: number, k: number): number {
  return (k * r) / (1 + (k - 1) * r);
}

/** Binomial coefficient C(n, k) as a double (exact while it stays below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) c = (c * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(c);
}

/** All k-subsets of 0..n−1 in lexicographic order. */
export function combinations(n: number, k: number): Int32Array[] {
  const out: Int32Array[] = [];
  if (k < 0 || k > n) return out;
  const c = Int32Array.from({ length: k }, (_, i) => i);
  for (;;) {
    out.push(c.slice());
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return out;
    c[i]++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  }
}

/** One split of the repeats into two halves (repeat indices, ascending). */
export interface HalfSplit { a: Int32Array; b: Int32Array }

/**
 * Splits of R repeats into two disjoint halves of h = ⌊R/2⌋ repeats each (for odd R one repeat
 * sits out of each split). When there are at most `maxSplits` distinct unordered splits,
 * C(R,h)·C(R−h,h)/2, all of them: halves a in lexicographic order, then b in lexicographic order
 * among the rest, keeping those with min(a) < min(b). Otherwise `maxSplits` random splits, each
 * `permutation(R)` from one legacy MT19937 stream seeded `seed`: a = sorted perm[0:h],
 * b = sorted perm[h:2h] (a split may recur).
 */
export function halfSplits(nRepeats: number, maxSplits = 100, seed = 0): HalfSplit[] {
  if (!Number.isInteger(nRepeats) || nRepeats < 2) throw new RangeError(`halfSplits: need at least 2 repeats, got ${nRepeats}`);
  const h = Math.floor(nRepeats / 2);
  const count = (binomial(nRepeats, h) * binomial(nRepeats - h, h)) / 2;
  const out: HalfSplit[] = [];
  if (count <= maxSplits) {
    for (const a of combinations(nRepeats, h)) {
      const rest = Int32Array.from({ length: nRepeats }, (_, i) => i).filter((i) => !a.includes(i));
      for (const bi of combinations(rest.length, h)) {
        const b = Int32Array.from(bi, (i) => rest[i]);
        if (a[0] < b[0]) out.push({ a, b });
      }
    }
    return out;
  }
  const rng = new MT19937(seed);
  for (let s = 0; s < maxSplits; s++) {
    const p = rng.permutation(nRepeats);
    out.push({ a: p.slice(0, h).sort(), b: p.slice(h, 2 * h).sort() });
  }
  return out;
}

/** Split-half statistics of one unit (§9.1). */
export interface SplitHalfUnit {
  /** Mean over splits of Pearson r between the half means across stimuli (NaN when any r is undefined). */
  rHalf: number;
  /** Spearman–Brown to both halves, 2·rHalf/(1 + rHalf): the reliability of the mean of 2h presentations. */
  reliability: number;
  /** Spearman–Brown down to one presentation, spearmanBrown(rHalf, 1/h). */
  reliabilityOne: number;
  /** √reliabilityOne: the r a noise-free prediction reaches on one presentation; NaN when reliabilityOne ≤ 0 or undefined. */
  ceiling: number;
}

/**
 * Split-half reliability per unit. `y` is row-major rows × units; `rows[s·R + q]` is the row of
 * stimulus s's q-th repeat (S stimuli × R repeats, S ≥ 3). Per split and unit: the mean over the
 * half's repeats for each stimulus, then Pearson r across stimuli between the two halves' means.
 */
export function splitHalfReliability(y: { rows: number; cols: number; data: Float64Array }, rows: Int32Array, nRepeats: number, splits: readonly HalfSplit[]): SplitHalfUnit[] {
  const u = y.cols;
  const nStim = rows.length / nRepeats;
  if (!Number.isInteger(nStim)) throw new RangeError(`splitHalfReliability: ${rows.length} rows are not stimuli × ${nRepeats} repeats`);
  const h = splits[0].a.length;
  const sumR = new Float64Array(u);
  // Half means as stimuli × units matrices, read row by row (y is row-major).
  const ma = new Float64Array(nStim * u);
  const mb = new Float64Array(nStim * u);
  const halfMeans = (out: Float64Array, half: Int32Array) => {
    out.fill(0);
    for (let s = 0; s < nStim; s++) {
      const o = s * u;
      for (let i = 0; i < half.length; i++) {
        const base = rows[s * nRepeats + half[i]] * u;
        for (let j = 0; j < u; j++) out[o + j] += y.data[base + j];
      }
      for (let j = 0; j < u; j++) out[o + j] /= half.length;
    }
  };
  const mx = new Float64Array(u);
  const my = new Float64Array(u);
  const sxy = new Float64Array(u);
  const sxx = new Float64Array(u);
  const syy = new Float64Array(u);
  for (const { a, b } of splits) {
    halfMeans(ma, a);
    halfMeans(mb, b);
    mx.fill(0); my.fill(0); sxy.fill(0); sxx.fill(0); syy.fill(0);
    for (let s = 0; s < nStim; s++) for (let j = 0; j < u; j++) { mx[j] += ma[s * u + j]; my[j] += mb[s * u + j]; }
    for (let j = 0; j < u; j++) { mx[j] /= nStim; my[j] /= nStim; }
    for (let s = 0; s < nStim; s++) {
      for (let j = 0; j < u; j++) {
        const p = ma[s * u + j] - mx[j];
        const q = mb[s * u + j] - my[j];
        sxy[j] += p * q; sxx[j] += p * p; syy[j] += q * q;
      }
    }
    for (let j = 0; j < u; j++) sumR[j] += sxx[j] > 0 && syy[j] > 0 ? sxy[j] / Math.sqrt(sxx[j] * syy[j]) : NaN;
  }
  return Array.from(sumR, (sum) => {
    const rHalf = sum / splits.length;
    const reliabilityOne = spearmanBrown(rHalf, 1 / h);
    return {
      rHalf,
      reliability: spearmanBrown(rHalf, 2),
      reliabilityOne,
      ceiling: reliabilityOne > 0 ? Math.sqrt(reliabilityOne) : NaN,
    };
  });
}

/** v(k) = v0·(1 − e^(−k/τ)), Brain-Score's saturating ceiling curve. */
export function saturating(k: number, v0: number, tau: number): number {
  return v0 * (1 - Math.exp(-k / tau));
}

/** Least-squares fit of `saturating` (§9.2). */
export interface SaturatingFit { v0: number; tau: number; sse: number }

const TAU_LO = Math.log(1e-3);
const TAU_HI = Math.log(1e6);
const TAU_GRID = 400;
const BISECT_STEPS = 200;

/** For fixed τ: the best v0 in [0, 1] (closed form, clipped) and its sum of squared errors. */
function profile(xs: ArrayLike<number>, ys: ArrayLike<number>, tau: number): SaturatingFit {
  let gg = 0;
  let gy = 0;
  for (let i = 0; i < xs.length; i++) {
    const g = 1 - Math.exp(-xs[i] / tau);
    gg += g * g; gy += g * ys[i];
  }
  const v0 = Math.min(1, Math.max(0, gy / gg));
  let sse = 0;
  for (let i = 0; i < xs.length; i++) { const e = v0 * (1 - Math.exp(-xs[i] / tau)) - ys[i]; sse += e * e; }
  return { v0, tau, sse };
}

/**
 * d SSE / d log τ at the profiled v0 (envelope theorem: v0 is optimal, or at a bound, for this τ):
 * Σ 2·e_i·v0·∂g_i/∂log τ with g_i = 1 − e^(−x_i/τ), ∂g_i/∂log τ = −e^(−x_i/τ)·x_i/τ.
 */
function slope(xs: ArrayLike<number>, ys: ArrayLike<number>, u: number): number {
  const tau = Math.exp(u);
  const { v0 } = profile(xs, ys, tau);
  let d = 0;
  for (let i = 0; i < xs.length; i++) {
    const ex = Math.exp(-xs[i] / tau);
    d += 2 * (v0 * (1 - ex) - ys[i]) * v0 * (-ex * xs[i] / tau);
  }
  return d;
}

/**
 * Least squares v(k) = v0·(1 − e^(−k/τ)) with v0 ∈ [0, 1] and τ ∈ [1e-3, 1e6] (a saturating
 * curve; Brain-Score's curve_fit leaves τ free). v0 is profiled out (closed form for fixed τ,
 * clipped); log τ is searched on a grid of 400 equal steps, then, between the grid neighbours of
 * the best point, the root of d SSE / d log τ is bisected (200 steps, or until the interval stops
 * shrinking) when the slope changes sign there. Deterministic; null with fewer than two points or
 * a non-finite y.
 */
export function fitSaturating(xs: ArrayLike<number>, ys: ArrayLike<number>): SaturatingFit | null {
  if (xs.length < 2 || xs.length !== ys.length) return null;
  for (let i = 0; i < ys.length; i++) if (!Number.isFinite(ys[i])) return null;
  const step = (TAU_HI - TAU_LO) / TAU_GRID;
  let best = 0;
  let bestSse = Infinity;
  for (let g = 0; g <= TAU_GRID; g++) {
    const f = profile(xs, ys, Math.exp(TAU_LO + g * step));
    if (f.sse < bestSse) { bestSse = f.sse; best = g; }
  }
  const grid = profile(xs, ys, Math.exp(TAU_LO + best * step));
  let lo = TAU_LO + Math.max(0, best - 1) * step;
  let hi = TAU_LO + Math.min(TAU_GRID, best + 1) * step;
  if (!(slope(xs, ys, lo) < 0 && slope(xs, ys, hi) > 0)) return grid;
  for (let i = 0; i < BISECT_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (slope(xs, ys, mid) > 0) hi = mid; else lo = mid;
  }
  const refined = profile(xs, ys, Math.exp((lo + hi) / 2));
  return refined.sse <= grid.sse ? refined : grid;
}

/**
 * Brain-Score's per-unit extrapolation (§9.2). `scores[i]` are the unit's held-out scores (one per
 * subject subset containing its subject and split) at pool size `sizes[i]`. With one legacy
 * MT19937 stream seeded `seed`: per bootstrap and size (ascending), draw as many scores as there are
 * with replacement (`randint(0, n)` each, numpy's `choice`) and take their mean; fit `fitSaturating`
 * to (size, mean). The ceiling is the median of v0 over the bootstraps whose fit succeeded (NaN when
 * none did or fewer than two sizes have scores).
 */
export function extrapolateUnit(sizes: readonly number[], scores: readonly (readonly number[])[], nBootstraps = 100, seed = 0): { ceiling: number; v0: Float64Array } {
  const keep = sizes.map((_, i) => i).filter((i) => scores[i].length > 0);
  const v0 = new Float64Array(nBootstraps).fill(NaN);
  if (keep.length < 2) return { ceiling: NaN, v0 };
  const rng = new MT19937(seed);
  const xs = Float64Array.from(keep, (i) => sizes[i]);
  const ys = new Float64Array(keep.length);
  for (let b = 0; b < nBootstraps; b++) {
    keep.forEach((i, t) => {
      const c = scores[i];
      let sum = 0;
      for (let q = 0; q < c.length; q++) sum += c[rng.randomInterval(c.length - 1)];
      ys[t] = sum / c.length;
    });
    const fit = fitSaturating(xs, ys);
    if (fit) v0[b] = fit.v0;
  }
  const ok = Array.from(v0).filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  if (ok.length === 0) return { ceiling: NaN, v0 };
  const m = ok.length >> 1;
  return { ceiling: ok.length % 2 ? ok[m] : (ok[m - 1] + ok[m]) / 2, v0 };
}
