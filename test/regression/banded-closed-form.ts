/**
 * The banded tests' independent reference: kernel ridge with band weights γ and penalty α in
 * float64 closed form (Cholesky), pooled over inner folds — no brainmap fitting code.
 */
import type { Matrix64 } from '../../src/linalg/matrix.js';

/** Per band, X_a X_aᵀ and X_v X_aᵀ of train-centred columns (cached per band set and fold). */
const kernelCache = new WeakMap<readonly Matrix64[], Map<Int32Array, { kt: Float64Array; kc: Float64Array }[]>>();
function bandKernelsOf(bandsTr: readonly Matrix64[], train: Int32Array, val: Int32Array): { kt: Float64Array; kc: Float64Array }[] {
  let cache = kernelCache.get(bandsTr);
  if (!cache) kernelCache.set(bandsTr, (cache = new Map()));
  const hit = cache.get(train);
  if (hit) return hit;
  const na = train.length;
  const nv = val.length;
  const out = bandsTr.map((x) => {
    const p = x.cols;
    const mean = new Float64Array(p);
    for (const i of train) for (let k = 0; k < p; k++) mean[k] += x.data[i * p + k] / na;
    const row = (i: number) => Float64Array.from({ length: p }, (_, k) => x.data[i * p + k] - mean[k]);
    const A = Array.from(train, row);
    const E = Array.from(val, row);
    const kt = new Float64Array(na * na);
    const kc = new Float64Array(nv * na);
    for (let i = 0; i < na; i++) for (let j = 0; j < na; j++) { let s = 0; for (let k = 0; k < p; k++) s += A[i][k] * A[j][k]; kt[i * na + j] = s; }
    for (let i = 0; i < nv; i++) for (let j = 0; j < na; j++) { let s = 0; for (let k = 0; k < p; k++) s += E[i][k] * A[j][k]; kc[i * na + j] = s; }
    return { kt, kc };
  });
  cache.set(train, out);
  return out;
}

/**
 * Float64 closed form of the pooled inner-CV R² of every unit at band weights γ and penalty α:
 * per inner fold, bands centred on its training rows, K(γ) = Σ γ_b X_b X_bᵀ, predictions
 * mean + C(γ)(K(γ) + αI)⁻¹(y − mean) (Cholesky), errors pooled over folds.
 */
export function pooledInnerR2(bandsTr: readonly Matrix64[], ytr: Matrix64, inner: readonly { train: Int32Array; val: Int32Array }[], gamma: ArrayLike<number>, alpha: number): Float64Array {
  const u = ytr.cols;
  const sse = new Float64Array(u);
  const sse0 = new Float64Array(u);
  for (const { train, val } of inner) {
    const na = train.length;
    const nv = val.length;
    const K = new Float64Array(na * na);
    const C = new Float64Array(nv * na);
    bandKernelsOf(bandsTr, train, val).forEach(({ kt, kc }, b) => {
      for (let i = 0; i < K.length; i++) K[i] += gamma[b] * kt[i];
      for (let i = 0; i < C.length; i++) C[i] += gamma[b] * kc[i];
    });
    for (let i = 0; i < na; i++) K[i * na + i] += alpha;
    for (let j = 0; j < na; j++) {
      let d = K[j * na + j];
      for (let k = 0; k < j; k++) d -= K[j * na + k] ** 2;
      K[j * na + j] = Math.sqrt(d);
      for (let i = j + 1; i < na; i++) { let s = K[i * na + j]; for (let k = 0; k < j; k++) s -= K[i * na + k] * K[j * na + k]; K[i * na + j] = s / K[j * na + j]; }
    }
    for (let t = 0; t < u; t++) {
      let ym = 0;
      for (const i of train) ym += ytr.data[i * u + t] / na;
      const c = Float64Array.from(train, (i) => ytr.data[i * u + t] - ym);
      for (let i = 0; i < na; i++) { let s = c[i]; for (let k = 0; k < i; k++) s -= K[i * na + k] * c[k]; c[i] = s / K[i * na + i]; }
      for (let i = na - 1; i >= 0; i--) { let s = c[i]; for (let k = i + 1; k < na; k++) s -= K[k * na + i] * c[k]; c[i] = s / K[i * na + i]; }
      for (let i = 0; i < nv; i++) {
        let pred = ym;
        for (let j = 0; j < na; j++) pred += C[i * na + j] * c[j];
        const v = ytr.data[val[i] * u + t];
        sse[t] += (v - pred) ** 2;
        sse0[t] += (v - ym) ** 2;
      }
    }
  }
  return Float64Array.from(sse, (s, t) => 1 - s / sse0[t]);
}
