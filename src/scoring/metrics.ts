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

/**
 * Pearson r per unit within one fold, "Schrimpf style" (§5.3): the plain sample correlation, set
 * to 0 when y or ŷ is numerically constant (‖x − x̄‖₂ ≤ 1e-5·|x̄|).
 */
export function foldPearson(yTest: Matrix64, yhat: Matrix64): Float64Array {
  const n = yTest.rows;
  const u = yTest.cols;
  const my = new Float64Array(u);
  const mp = new Float64Array(u);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < u; j++) {
      my[j] += yTest.data[i * u + j];
      mp[j] += yhat.data[i * u + j];
    }
  }
  for (let j = 0; j < u; j++) { my[j] /= n; mp[j] /= n; }
  const syy = new Float64Array(u);
  const spp = new Float64Array(u);
  const syp = new Float64Array(u);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < u; j++) {
      const a = yTest.data[i * u + j] - my[j];
      const b = yhat.data[i * u + j] - mp[j];
      syy[j] += a * a;
      spp[j] += b * b;
      syp[j] += a * b;
    }
  }
  const r = new Float64Array(u);
  for (let j = 0; j < u; j++) {
    const ny = Math.sqrt(syy[j]);
    const np = Math.sqrt(spp[j]);
    if (ny <= 1e-5 * Math.abs(my[j]) || np <= 1e-5 * Math.abs(mp[j])) { r[j] = 0; continue; }
    const v = syp[j] / (ny * np);
    r[j] = Math.max(-1, Math.min(1, v));
  }
  return r;
}
