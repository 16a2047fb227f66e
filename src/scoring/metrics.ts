import type { Matrix64 } from '../linalg/matrix.js';

/**
 * Per-unit squared errors of one test fold (METHODS §5.1): the model's SSE, and the SSE of the
 * intercept-only model that predicts the outer-training mean.
 * yTest, yhat: n_test × units; trainMean: length units.
 */
export function foldSquaredErrors(yTest: Matrix64, yhat: Matrix64, trainMean: Float64Array): { sse: Float64Array; sse0: Float64Array } {
  const u = yTest.cols;
  if (yhat.rows !== yTest.rows || yhat.cols !== u || trainMean.length !== u) {
    throw new RangeError(`foldSquaredErrors: shapes differ (y ${yTest.rows}×${u}, ŷ ${yhat.rows}×${yhat.cols}, mean ${trainMean.length})`);
  }
  const sse = new Float64Array(u);
  const sse0 = new Float64Array(u);
  for (let i = 0; i < yTest.rows; i++) {
    const base = i * u;
    for (let j = 0; j < u; j++) {
      const y = yTest.data[base + j];
      const e = y - yhat.data[base + j];
      const e0 = y - trainMean[j];
      sse[j] += e * e;
      sse0[j] += e0 * e0;
    }
  }
  return { sse, sse0 };
}

/**
 * Out-of-sample R² pooled over folds (§5.2): 1 − Σ_f SSE_f / Σ_f SSE0_f (equivalently the
 * n_f/N-weighted MSE ratio). NaN where the unit's intercept-model error is 0 (a constant unit).
 */
export function pooledR2(sseTotal: Float64Array, sse0Total: Float64Array): Float64Array {
  const out = new Float64Array(sseTotal.length);
  for (let j = 0; j < out.length; j++) out[j] = sse0Total[j] > 0 ? 1 - sseTotal[j] / sse0Total[j] : NaN;
  return out;
}

/** Which values make a fold's Pearson r undefined (see foldPearson). */
export type PearsonRule = 'exact' | 'paper';

/** Spread at or below this multiple of max |x| is float64 rounding of a constant (ε₆₄ = 2⁻⁵²). */
export const ROUNDING_SPREAD = 64 * 2.220446049250313e-16;

export interface FoldPearsonOptions {
  /**
   * 'exact' (default): r is NaN ("undefined") where y or ŷ is constant to float64 rounding,
   * max_i |x_i − x̄| ≤ 64·ε₆₄·max_i max(|y_i|, |ŷ_i|) — a rule that does not change when y and ŷ
   * are scaled together, nor (short of rounding) when they are shifted. 'paper': Schrimpf's rule as
   * published (§5.3), r = 0 where ‖x − x̄‖₂ ≤ 1e-5·|x̄| (so a unit's r depends on its mean:
   * y + 1e6 scores 0).
   */
  rule?: PearsonRule;
  /**
   * Per unit, a constant that was subtracted from both y and ŷ before the call (e.g. the training
   * mean, to keep float64 precision); the 'paper' rule compares spreads with the mean of x + offset.
   */
  offset?: Float64Array;
}

/**
 * Pearson r per unit within one fold (§5.3): the plain sample correlation of y and ŷ
 * (n_test × units each, float64), computed on centred values. Where y or ŷ is degenerate (see
 * FoldPearsonOptions.rule) r is NaN under the default rule and 0 under the paper's.
 */
export function foldPearson(yTest: Matrix64, yhat: Matrix64, opts: FoldPearsonOptions = {}): Float64Array {
  const n = yTest.rows;
  const u = yTest.cols;
  if (yhat.rows !== n || yhat.cols !== u) throw new RangeError(`foldPearson: shapes differ (y ${n}×${u}, ŷ ${yhat.rows}×${yhat.cols})`);
  const paper = opts.rule === 'paper';
  const my = new Float64Array(u);
  const mp = new Float64Array(u);
  const maxY = new Float64Array(u);
  const maxP = new Float64Array(u);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < u; j++) {
      const a = yTest.data[i * u + j];
      const b = yhat.data[i * u + j];
      my[j] += a;
      mp[j] += b;
      if (Math.abs(a) > maxY[j]) maxY[j] = Math.abs(a);
      if (Math.abs(b) > maxP[j]) maxP[j] = Math.abs(b);
    }
  }
  for (let j = 0; j < u; j++) { my[j] /= n; mp[j] /= n; }
  // Centred values are divided by their largest magnitude so that no square over- or underflows.
  const devY = new Float64Array(u);
  const devP = new Float64Array(u);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < u; j++) {
      const a = Math.abs(yTest.data[i * u + j] - my[j]);
      const b = Math.abs(yhat.data[i * u + j] - mp[j]);
      if (a > devY[j]) devY[j] = a;
      if (b > devP[j]) devP[j] = b;
    }
  }
  const syy = new Float64Array(u);
  const spp = new Float64Array(u);
  const syp = new Float64Array(u);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < u; j++) {
      const a = (yTest.data[i * u + j] - my[j]) / devY[j];
      const b = (yhat.data[i * u + j] - mp[j]) / devP[j];
      syy[j] += a * a;
      spp[j] += b * b;
      syp[j] += a * b;
    }
  }
  const r = new Float64Array(u);
  for (let j = 0; j < u; j++) {
    let degenerate: boolean;
    if (paper) {
      const off = opts.offset ? opts.offset[j] : 0;
      const normY = devY[j] > 0 ? devY[j] * Math.sqrt(syy[j]) : 0;
      const normP = devP[j] > 0 ? devP[j] * Math.sqrt(spp[j]) : 0;
      degenerate = normY <= 1e-5 * Math.abs(my[j] + off) || normP <= 1e-5 * Math.abs(mp[j] + off);
    } else {
      const tol = ROUNDING_SPREAD * Math.max(maxY[j], maxP[j]);
      degenerate = !(devY[j] > tol) || !(devP[j] > tol);
    }
    if (degenerate) { r[j] = paper ? 0 : NaN; continue; }
    const v = syp[j] / Math.sqrt(syy[j] * spp[j]);
    r[j] = Math.max(-1, Math.min(1, v));
  }
  return r;
}
