import type { Matrix64 } from '../linalg/matrix.js';

/** Column means and scales fitted on training rows (scikit-learn's StandardScaler). */
export interface Standardizer {
  /** Per-feature mean of the training rows. */
  mean: Float64Array;
  /** Per-feature scale: the population SD, or 1 for features scikit-learn deems constant. */
  scale: Float64Array;
  /** Number of features deemed constant on the training rows. */
  nConstant: number;
}

const EPS64 = 2.220446049250313e-16;

/**
 * scikit-learn's `_is_constant_feature`: a feature is constant when its variance is within
 * floating-point error of zero, `var ≤ n·ε·var + (n·mean·ε)²` (METHODS §4.1). Deliberately no
 * tolerance beyond this: OASM with σ = 0.2 has columns of magnitude ~4e-6 that must be scaled up.
 */
export function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const bound = n * EPS64 * variance + (n * mean * EPS64) ** 2;
  return variance <= bound;
}

/**
 * The power of two 2⁻ᵉ that brings `a` (a column's largest magnitude) into [1, 2): multiplying by
 * it is exact, so sums of squares of scaled values cannot overflow (features of magnitude 1e200)
 * and every result equals the unscaled computation bit for bit wherever that did not overflow or
 * underflow. 1 for 0 and non-finite `a`.
 */
export function powerOfTwoScale(a: number): number {
  if (!(a > 0) || !Number.isFinite(a)) return 1;
  const e = Math.min(1023, Math.max(-1022, Math.floor(Math.log2(a))));
  return 2 ** -e;
}

/**
 * Fits mean and population SD (ddof 0, float64) of each column over `rows` of `x`
 * (samples × features). Two-pass, as scikit-learn: mean first, then Σ(x − mean)² − (Σ(x − mean))²/n,
 * each column scaled by a power of two first (see powerOfTwoScale) so that no magnitude overflows.
 */
export function fitStandardizer(x: Matrix64, rows: ArrayLike<number>): Standardizer {
  const p = x.cols;
  const n = rows.length;
  const xd = x.data;
  if (n === 0) throw new RangeError('fitStandardizer: no training rows');
  const amax = new Float64Array(p);
  for (let k = 0; k < n; k++) {
    const base = rows[k] * p;
    for (let j = 0; j < p; j++) {
      const a = Math.abs(xd[base + j]);
      if (a > amax[j]) amax[j] = a;
    }
  }
  const pow2 = amax.map(powerOfTwoScale);
  const mean = new Float64Array(p);
  for (let k = 0; k < n; k++) {
    const base = rows[k] * p;
    for (let j = 0; j < p; j++) mean[j] += xd[base + j] * pow2[j];
  }
  for (let j = 0; j < p; j++) mean[j] /= n;
  const ss = new Float64Array(p);
  const corr = new Float64Array(p);
  for (let k = 0; k < n; k++) {
    const base = rows[k] * p;
    for (let j = 0; j < p; j++) {
      const d = xd[base + j] * pow2[j] - mean[j];
      ss[j] += d * d;
      corr[j] += d;
    }
  }
  const scale = new Float64Array(p);
  let nConstant = 0;
  for (let j = 0; j < p; j++) {
    // Scaled mean and variance; the constant-feature bound scales with them (both sides × 4ᵏ).
    const variance = (ss[j] - (corr[j] * corr[j]) / n) / n;
    if (isConstantFeature(variance, mean[j], n)) {
      scale[j] = 1;
      nConstant++;
    } else {
      scale[j] = Math.sqrt(variance) / pow2[j];
    }
    mean[j] /= pow2[j];
  }
  return { mean, scale, nConstant };
}

/**
 * (x[rows] − mean) / scale as a new |rows| × features matrix. Each column is scaled by a power of
 * two first (exact), so that x − mean cannot overflow for values near the float64 limit.
 */
export function applyStandardizer(x: Matrix64, rows: ArrayLike<number>, s: Standardizer): Matrix64 {
  const p = x.cols;
  const q = new Float64Array(p);
  const meanQ = new Float64Array(p);
  const scaleQ = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    q[j] = powerOfTwoScale(Math.max(Math.abs(s.mean[j]), s.scale[j]));
    meanQ[j] = s.mean[j] * q[j];
    scaleQ[j] = s.scale[j] * q[j];
  }
  const out = new Float64Array(rows.length * p);
  const xd = x.data;
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * p;
    const dst = k * p;
    for (let j = 0; j < p; j++) out[dst + j] = (xd[src + j] * q[j] - meanQ[j]) / scaleQ[j];
  }
  return { rows: rows.length, cols: p, data: out };
}
