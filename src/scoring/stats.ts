/**
 * Statistics of METHODS §6: Student t distribution (via the regularised incomplete beta), the
 * paired one-sided t-test, Benjamini–Hochberg adjustment, and the Wilcoxon signed-rank test
 * (exact null distribution for small n without ties or zeros, as scipy does).
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
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t with ν degrees of freedom: ½·I_{ν/(ν+t²)}(ν/2, ½) for t < 0, 1 − that for t ≥ 0. */
export function studentTCdf(t: number, nu: number): number {
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t < 0 ? tail : 1 - tail;
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
  const cdf = studentTCdf(t, df);
  const p = alternative === 'less' ? cdf : alternative === 'greater' ? 1 - cdf : 2 * Math.min(cdf, 1 - cdf);
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

/** Standard normal CDF (erfc-based, |error| < 1.2e-7 relative from the W. J. Cody-style approximation below). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export interface WilcoxonResult {
  /** Sum of the ranks of the positive differences (scipy's statistic for one-sided tests). */
  statistic: number;
  p: number;
  n: number;
  method: 'exact' | 'approx';
}

/**
 * Wilcoxon signed-rank test of x − y (scipy `wilcoxon(x, y, alternative)`, zero_method 'wilcox':
 * zero differences are dropped). Exact null distribution when n ≤ 50 and there are no ties or
 * zeros; otherwise the normal approximation with tie correction (no continuity correction, as
 * scipy's default).
 */
export function wilcoxonSignedRank(x: ArrayLike<number>, y: ArrayLike<number>, alternative: 'greater' | 'less' | 'two-sided' = 'two-sided'): WilcoxonResult {
  if (x.length !== y.length) throw new RangeError(`wilcoxonSignedRank: ${x.length} vs ${y.length} values`);
  const all: number[] = [];
  for (let i = 0; i < x.length; i++) all.push(x[i] - y[i]);
  const hadZeros = all.some((d) => d === 0);
  const d = all.filter((v) => v !== 0 && !Number.isNaN(v));
  const n = d.length;
  if (n === 0) return { statistic: 0, p: NaN, n, method: 'exact' };
  // Average ranks of |d|.
  const order = d.map((_, i) => i).sort((i, j) => Math.abs(d[i]) - Math.abs(d[j]));
  const ranks = new Float64Array(n);
  let hasTies = false;
  const tieSizes: number[] = [];
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]]) === Math.abs(d[order[i]])) j++;
    if (j > i) { hasTies = true; tieSizes.push(j - i + 1); }
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let rPlus = 0;
  for (let i = 0; i < n; i++) if (d[i] > 0) rPlus += ranks[i];
  const total = (n * (n + 1)) / 2;
  if (n <= 50 && !hasTies && !hadZeros) {
    // Exact null: counts of each rank sum over the 2^n sign assignments.
    const counts = new Float64Array(total + 1);
    counts[0] = 1;
    for (let k = 1; k <= n; k++) for (let s = total; s >= k; s--) counts[s] += counts[s - k];
    const denom = 2 ** n;
    const r = Math.round(rPlus);
    let upper = 0; // P(R+ ≥ r)
    for (let s = r; s <= total; s++) upper += counts[s];
    let lower = 0; // P(R+ ≤ r)
    for (let s = 0; s <= r; s++) lower += counts[s];
    upper /= denom;
    lower /= denom;
    const p = alternative === 'greater' ? upper : alternative === 'less' ? lower : Math.min(1, 2 * Math.min(upper, lower));
    return { statistic: rPlus, p, n, method: 'exact' };
  }
  const mean = total / 2;
  let variance = (n * (n + 1) * (2 * n + 1)) / 24;
  for (const t of tieSizes) variance -= (t * t * t - t) / 48;
  const z = (rPlus - mean) / Math.sqrt(variance);
  const p = alternative === 'greater' ? 1 - normalCdf(z) : alternative === 'less' ? normalCdf(z) : 2 * Math.min(normalCdf(z), 1 - normalCdf(z));
  return { statistic: rPlus, p, n, method: 'approx' };
}

/** Subject-level paired t-test (the paper's text) and Wilcoxon (its code) of a > b. */
export function compareSubjects(a: ArrayLike<number>, b: ArrayLike<number>): { tTest: TTestResult; wilcoxon: WilcoxonResult } {
  return { tTest: pairedTTest(a, b, 'greater'), wilcoxon: wilcoxonSignedRank(a, b, 'greater') };
}
