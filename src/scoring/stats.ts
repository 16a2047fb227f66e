/**
 * Statistics of METHODS §6: Student t and normal distributions, the paired one-sided t-test,
 * Benjamini–Hochberg adjustment, and the Wilcoxon signed-rank test.
 *
 * Every upper tail is a survival function computed directly (studentTSf, normalSf), never 1 − cdf,
 * so p-values keep their relative precision far below 1e-16 (e.g. 1e-58), as scipy's `sf` does.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; |rel. error| < 1e-15). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Stirling's correction lnΓ(x) − [(x − ½)·ln x − x + ½·ln 2π] for x ≥ 15 (|error| < 3e-17). */
function stirlingCorrection(x: number): number {
  const r = 1 / (x * x);
  return (1 / x) * (1 / 12 - r * (1 / 360 - r * (1 / 1260 - r * (1 / 1680 - r * (1 / 1188 - r * (691 / 360360))))));
}

/**
 * ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a + b). When the larger argument is ≥ 15, lnΓ(a + b) − lnΓ(big)
 * is formed as (big − ½)·ln(1 + small/big) + small·(ln(a + b) − 1) + Stirling corrections, without
 * subtracting two large lnΓ values (which would cost ~1e-12 of a t-test p-value at ν ≈ 1000).
 */
export function logBeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 15) return logGamma(a) + logGamma(b) - logGamma(a + b);
  const ratio = (big - 0.5) * Math.log1p(small / big) + small * (Math.log(big + small) - 1) + stirlingCorrection(big + small) - stirlingCorrection(big);
  return logGamma(small) - ratio;
}

/** Continued fraction for the incomplete beta (Numerical Recipes' betacf, modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const FPMIN = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≥ |t|) for Student's t with ν degrees of freedom: ½·I_{ν/(ν+t²)}(ν/2, ½), accurate far into the tail. */
function studentTTail(t: number, nu: number): number {
  if (!Number.isFinite(t)) return 0;
  return 0.5 * regularizedBeta(nu / (nu + t * t), nu / 2, 0.5);
}

/** CDF of Student's t with ν degrees of freedom (the lower tail computed directly for t < 0). */
export function studentTCdf(t: number, nu: number): number {
  if (Number.isNaN(t)) return NaN;
  return t < 0 ? studentTTail(t, nu) : 1 - studentTTail(t, nu);
}

/** Survival function P(T > t) of Student's t with ν degrees of freedom (scipy `t.sf`), the upper tail computed directly for t > 0. */
export function studentTSf(t: number, nu: number): number {
  if (Number.isNaN(t)) return NaN;
  return t > 0 ? studentTTail(t, nu) : 1 - studentTTail(t, nu);
}

export interface TTestResult {
  t: number;
  /** Degrees of freedom n − 1. */
  df: number;
  p: number;
  n: number;
}

/**
 * Paired t-test of a − b (scipy `ttest_rel`, `nan_policy='omit'`: pairs where either is NaN are
 * dropped). `alternative` 'less' tests mean(a − b) < 0. A NaN p (n < 2, or all differences equal so
 * that sd = 0 with mean 0) is returned as NaN; callers decide (the paper sets it to 1).
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>, alternative: 'less' | 'greater' | 'two-sided' = 'two-sided'): TTestResult {
  if (a.length !== b.length) throw new RangeError(`pairedTTest: ${a.length} vs ${b.length} values`);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    if (Number.isNaN(d)) continue;
    n++;
    const delta = d - mean;
    mean += delta / n;
    m2 += delta * (d - mean);
  }
  const df = n - 1;
  if (n < 2) return { t: NaN, df, p: NaN, n };
  const sd = Math.sqrt(m2 / df);
  const t = mean / (sd / Math.sqrt(n));
  if (Number.isNaN(t)) return { t, df, p: NaN, n };
  const p = alternative === 'less' ? studentTCdf(t, df) : alternative === 'greater' ? studentTSf(t, df) : Math.min(1, 2 * studentTSf(Math.abs(t), df));
  return { t, df, p, n };
}

/**
 * Benjamini–Hochberg adjusted p-values (scipy `false_discovery_control(p, method='bh')`):
 * p̃_(i) = min_{j ≥ i} min(1, p_(j)·m/j) over the sorted p-values. NaN entries are kept NaN and
 * not counted in m.
 */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) if (!Number.isNaN(p[i])) idx.push(i);
  idx.sort((i, j) => p[i] - p[j]);
  const m = idx.length;
  const out = new Float64Array(p.length).fill(NaN);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const v = Math.min(1, (p[idx[k]] * m) / (k + 1));
    running = Math.min(running, v);
    out[idx[k]] = running;
  }
  return out;
}

/** φ(z)·√(2π) = exp(−z²/2), with z² split so that its rounding does not cost relative precision in the tail. */
function expHalfSquare(z: number): number {
  const a = Math.abs(z);
  const hi = Math.round(a * 4096) / 4096; // ≤ 19 significant bits below 128: hi² is exact
  return Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * (a - hi) * (a + hi));
}

/**
 * Upper tail Q(z) = P(Z > z) of the standard normal for z ≥ 0, to ~1e-15 relative: for z < 1.5,
 * ½ − φ(z)·Σ z^(2k+1)/(2k+1)!! (positive series); for z ≥ 1.5, Laplace's continued fraction
 * φ(z)/(z + 1/(z + 2/(z + 3/(z + …)))) (modified Lentz).
 */
function normalUpper(z: number): number {
  if (z === Infinity) return 0;
  const phi = expHalfSquare(z) / Math.sqrt(2 * Math.PI);
  if (z < 1.5) {
    let term = z;
    let sum = z;
    for (let k = 1; k < 200 && term > 1e-17 * sum; k++) {
      term *= (z * z) / (2 * k + 1);
      sum += term;
    }
    return 0.5 - phi * sum;
  }
  const TINY = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    d = z + k * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = z + k / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return phi / f;
}

/** Standard normal CDF Φ(z) (scipy `norm.cdf`), the lower tail computed directly for z < 0. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return z < 0 ? normalUpper(-z) : 1 - normalUpper(z);
}

/** Standard normal survival function P(Z > z) (scipy `norm.sf`), the upper tail computed directly for z > 0. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return z > 0 ? normalUpper(z) : 1 - normalUpper(-z);
}

export interface WilcoxonResult {
  /** Sum of the ranks of the positive differences (scipy's statistic for one-sided tests). */
  statistic: number;
  p: number;
  /** Non-zero differences (those ranked). */
  n: number;
  /** 'exact': the null distribution enumerated over all 2ⁿ sign flips; 'approx': the normal approximation. */
  method: 'exact' | 'approx';
}

/**
 * Counts of each doubled rank sum 2·R+ (0 … Σ doubled ranks) over the 2ⁿ sign assignments of the
 * ranks; doubled ranks are integers even with ties (average ranks are multiples of ½).
 */
function signedRankCounts(doubledRanks: readonly number[]): Float64Array {
  const total = doubledRanks.reduce((a, b) => a + b, 0);
  const counts = new Float64Array(total + 1);
  counts[0] = 1;
  let reach = 0;
  for (const r of doubledRanks) {
    reach += r;
    for (let s = reach; s >= r; s--) counts[s] += counts[s - r];
  }
  return counts;
}

/**
 * Wilcoxon signed-rank test of x − y, as scipy 1.17's `wilcoxon(x, y, alternative)` with its
 * defaults (zero_method 'wilcox', correction False, method 'auto') and nan_policy 'omit': pairs with
 * a NaN difference are dropped; zero differences are not ranked. With N the remaining pairs (zeros
 * included):
 * - N ≤ 50 without ties or zeros: the exact null distribution of R+;
 * - N ≤ 13 with ties or zeros: scipy's exact permutation test — every one of the 2^N sign flips of
 *   the differences, R+ recomputed with the same average ranks (zeros flip to themselves), so
 *   p = P(R+ ≥ observed) over that enumeration (which is what the counts below enumerate);
 * - otherwise the normal approximation: z = (R+ − n(n+1)/4)/σ over the n non-zero differences,
 *   σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over groups of t tied |differences|, no continuity
 *   correction, p from the normal survival function.
 * Two-sided p = min(1, 2·min(P(R+ ≥ r), P(R+ ≤ r))) in the exact cases, 2·sf(|z|) otherwise.
 */
export function wilcoxonSignedRank(x: ArrayLike<number>, y: ArrayLike<number>, alternative: 'greater' | 'less' | 'two-sided' = 'two-sided'): WilcoxonResult {
  if (x.length !== y.length) throw new RangeError(`wilcoxonSignedRank: ${x.length} vs ${y.length} values`);
  const all: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i] - y[i])) all.push(x[i] - y[i]);
  const nTotal = all.length;
  const hadZeros = all.some((d) => d === 0);
  const d = all.filter((v) => v !== 0);
  const n = d.length;
  // Average ranks of |d|, doubled (integers).
  const order = d.map((_, i) => i).sort((i, j) => Math.abs(d[i]) - Math.abs(d[j]));
  const doubled = new Array<number>(n).fill(0);
  let hasTies = false;
  const tieSizes: number[] = [];
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]]) === Math.abs(d[order[i]])) j++;
    if (j > i) { hasTies = true; tieSizes.push(j - i + 1); }
    for (let k = i; k <= j; k++) doubled[order[k]] = i + j + 2;
    i = j + 1;
  }
  let rPlus2 = 0;
  for (let i = 0; i < n; i++) if (d[i] > 0) rPlus2 += doubled[i];
  const rPlus = rPlus2 / 2;
  if (nTotal === 0) return { statistic: 0, p: NaN, n, method: 'exact' };
  if ((nTotal <= 50 && !hasTies && !hadZeros) || nTotal <= 13) {
    const counts = signedRankCounts(doubled);
    const denom = 2 ** n;
    let upper = 0; // P(R+ ≥ r)
    for (let s = rPlus2; s < counts.length; s++) upper += counts[s];
    let lower = 0; // P(R+ ≤ r)
    for (let s = 0; s <= rPlus2; s++) lower += counts[s];
    upper /= denom;
    lower /= denom;
    const p = alternative === 'greater' ? upper : alternative === 'less' ? lower : Math.min(1, 2 * Math.min(upper, lower));
    return { statistic: rPlus, p, n, method: 'exact' };
  }
  const mean = (n * (n + 1)) / 4;
  let variance = (n * (n + 1) * (2 * n + 1)) / 24;
  for (const t of tieSizes) variance -= (t * t * t - t) / 48;
  const z = (rPlus - mean) / Math.sqrt(variance);
  const p = alternative === 'greater' ? normalSf(z) : alternative === 'less' ? normalCdf(z) : Math.min(1, 2 * normalSf(Math.abs(z)));
  return { statistic: rPlus, p, n, method: 'approx' };
}

/** Subject-level paired t-test (the paper's text) and Wilcoxon (its code) of a > b. */
export function compareSubjects(a: ArrayLike<number>, b: ArrayLike<number>): { tTest: TTestResult; wilcoxon: WilcoxonResult } {
  return { tTest: pairedTTest(a, b, 'greater'), wilcoxon: wilcoxonSignedRank(a, b, 'greater') };
}

/**
 * Welch's two-sample t-test (unequal variances; scipy `ttest_ind(a, b, equal_var=False)`, NaNs
 * dropped): t = (ā − b̄)/√(s_a²/n_a + s_b²/n_b), Welch–Satterthwaite degrees of freedom. `n` is
 * n_a + n_b. NaN t and p when either side has fewer than 2 values or both variances are 0.
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>, alternative: 'less' | 'greater' | 'two-sided' = 'two-sided'): TTestResult {
  const moments = (x: ArrayLike<number>): { n: number; mean: number; v: number } => {
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (Number.isNaN(v)) continue;
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
    return { n, mean, v: n > 1 ? m2 / (n - 1) : NaN };
  };
  const A = moments(a);
  const B = moments(b);
  const n = A.n + B.n;
  if (A.n < 2 || B.n < 2) return { t: NaN, df: NaN, p: NaN, n };
  const qa = A.v / A.n;
  const qb = B.v / B.n;
  const se2 = qa + qb;
  const df = (se2 * se2) / ((qa * qa) / (A.n - 1) + (qb * qb) / (B.n - 1));
  const t = (A.mean - B.mean) / Math.sqrt(se2);
  if (!Number.isFinite(t)) return { t: NaN, df, p: NaN, n };
  const p = alternative === 'less' ? studentTCdf(t, df) : alternative === 'greater' ? studentTSf(t, df) : Math.min(1, 2 * studentTSf(Math.abs(t), df));
  return { t, df, p, n };
}
