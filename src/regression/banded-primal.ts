import type { Backend } from '../linalg/backend.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { takeRows } from '../linalg/matrix.js';
import { centreDesign, chooseAlphas, gatherStandardised, standardizeDesign } from './ridge.js';
import type { InnerFold } from './splits.js';
import type { BandedFoldFit, GammaSchedule } from './banded.js';

/**
 * The banded random search (METHODS §4.2) when ALL bands are narrow: p = Σ_b p_b ≤ PRIMAL_MAX
 * columns in total (deconstruct's sub-models without the LLM band: 1–26 columns), evaluated
 * exactly in the p-dimensional primal space instead of the n_train-dimensional kernel space.
 *
 * Per inner fold, once: X_a (n_a × p) and X_v (n_v × p), the bands prepared as the other paths do
 * (centred by the inner training rows, or z-scored with innerStandardize), G = X_aᵀX_a and
 * H = X_vᵀX_v (p × p); per unit z = (y_a − m)/s (training targets standardised with their mean m
 * and max-abs scale s, as gatherStandardised does), v = y_v − m, B = X_aᵀz and A = X_vᵀ(v/s) (p × units).
 * Per band-weight sample γ (Γ = diag(γ_b per column)) and fold: Γ^½GΓ^½ = V diag(σ) Vᵀ, R = Γ^½V,
 * B̃ = RᵀB, Ã = RᵀA, H̃ = RᵀHR; for penalty α the coefficients of z are w = R t with t = B̃/(σ + α),
 * and the unit's validation error (in y's units) is
 *
 *   SSE_α = Σ v² + s² (tᵀH̃t − 2 Ãᵀt),
 *
 * the same ridge as the kernel path's C(γ)(K(γ) + αI)⁻¹z (K(γ) = X_aΓX_aᵀ): no n_v × n_a product per
 * sample, all float64. γ_b → 0 is fine (Γ^½ multiplies, nothing divides by γ).
 */

/** Largest total number of columns the primal path takes (work per sample and unit grows as p²). */
export const PRIMAL_MAX = 64;

/** Whether the primal path applies: several bands, p ≤ PRIMAL_MAX columns in all and p < n_train. */
export function primalApplies(bands: readonly Matrix64[], nTrain: number): boolean {
  const p = bands.reduce((a, m) => a + m.cols, 0);
  return bands.length > 1 && p <= PRIMAL_MAX && p < nTrain;
}

/** The search's bookkeeping (banded.ts's GammaSearch). */
export interface PrimalSearch {
  readonly score: Float64Array;
  readonly gamma: Int32Array;
  readonly alpha: Int32Array;
  readonly evaluated: number;
  readonly sampleSum: readonly number[];
  offer(g: number, u0: number, chosen: Int32Array, score: Float64Array): void;
  done(g: number): boolean;
}

/** One (train, eval) pair's bands side by side: n × p each, band of every column. */
interface Design { a: Matrix64; e: Matrix64; colBand: Int32Array }

/** The bands prepared on `fit`'s rows (centred, or z-scored when `standardize`) and concatenated. */
function concatBands(fitBands: readonly Matrix64[], otherBands: readonly Matrix64[], standardize: boolean): Design {
  const prepared = fitBands.map((x, b) => (standardize ? standardizeDesign(x, otherBands[b]) : centreDesign(x, otherBands[b])));
  const p = fitBands.reduce((s, m) => s + m.cols, 0);
  const na = fitBands[0].rows;
  const ne = otherBands[0].rows;
  const a = new Float64Array(na * p);
  const e = new Float64Array(ne * p);
  const colBand = new Int32Array(p);
  let off = 0;
  prepared.forEach(({ fit, other }, b) => {
    const c = fit.cols;
    for (let i = 0; i < na; i++) for (let k = 0; k < c; k++) a[i * p + off + k] = fit.data[i * c + k];
    for (let i = 0; i < ne; i++) for (let k = 0; k < c; k++) e[i * p + off + k] = other.data[i * c + k];
    colBand.fill(b, off, off + c);
    off += c;
  });
  return { a: { rows: na, cols: p, data: a }, e: { rows: ne, cols: p, data: e }, colBand };
}

/** √γ of each column's band. */
function columnRoots(gamma: Float64Array, colBand: Int32Array): Float64Array {
  return Float64Array.from(colBand, (b) => Math.sqrt(Math.max(gamma[b], 0)));
}

/** Γ^½ G Γ^½ (p × p) for the column roots `r`. */
function scaleGram(g: Float64Array, r: Float64Array, p: number): Matrix64 {
  const m = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) m[i * p + j] = r[i] * g[i * p + j] * r[j];
  return { rows: p, cols: p, data: m };
}

/** R = Γ^½ V (p × p), V's columns the eigenvectors; negative eigenvalues clamped to 0 in place (as the kernel path). */
function rotation(vectors: Matrix64, values: Float64Array, r: Float64Array, p: number): Matrix64 {
  for (let i = 0; i < p; i++) if (!(values[i] > 0)) values[i] = 0;
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[i * p + j] = r[i] * vectors.data[i * p + j];
  return { rows: p, cols: p, data: out };
}

/** T (p × nA·b, block a = penalty a) = B̃ / (σ + α_a) row-wise; B̃ is p × b. */
function penaltyStack(bt: Float64Array, sigma: Float64Array, alphas: readonly number[], p: number, b: number, out: Float64Array): void {
  const nA = alphas.length;
  const w = nA * b;
  for (let i = 0; i < p; i++) {
    for (let a = 0; a < nA; a++) {
      const f = 1 / (sigma[i] + alphas[a]);
      const dst = i * w + a * b;
      const src = i * b;
      for (let j = 0; j < b; j++) out[dst + j] = f * bt[src + j];
    }
  }
}

/** sse[a·b + j] += sse0f[j] + s_j² (Σ_i T·HT − 2 Σ_i Ã·T) over the p rows (one fold's errors). */
function accumulateSse(t: Float64Array, ht: Float64Array, at: Float64Array, scale2: Float64Array, sse0f: Float64Array, p: number, nA: number, b: number, sse: Float64Array, acc: Float64Array): void {
  const w = nA * b;
  acc.fill(0);
  for (let i = 0; i < p; i++) {
    const row = i * w;
    const arow = i * b;
    for (let a = 0; a < nA; a++) {
      const off = row + a * b;
      const dst = a * b;
      for (let j = 0; j < b; j++) {
        const tv = t[off + j];
        acc[dst + j] += tv * (ht[off + j] - 2 * at[arow + j]);
      }
    }
  }
  for (let a = 0; a < nA; a++) for (let j = 0; j < b; j++) sse[a * b + j] += sse0f[j] + scale2[j] * acc[a * b + j];
}

/** Per inner fold and unit batch, what the search reads of the targets: B, A (p × b), s², Σv². */
interface FoldTargets { bm: Matrix64; am: Matrix64; scale2: Float64Array; sse0: Float64Array }

/** The fold's B = X_aᵀz and A = X_vᵀ(v/s) for units [u0, u1) (see the module comment). */
async function foldTargets(backend: Backend, d: Design, fold: InnerFold, y: Matrix64, u0: number, u1: number): Promise<FoldTargets> {
  const b = u1 - u0;
  const na = fold.train.length;
  const nv = fold.val.length;
  const z = new Float64Array(na * b);
  const { mean, scale } = gatherStandardised(y, fold.train, u0, u1, z);
  const vs = new Float64Array(nv * b);
  const sse0 = new Float64Array(b);
  for (let i = 0; i < nv; i++) {
    const src = fold.val[i] * y.cols + u0;
    for (let j = 0; j < b; j++) {
      const v = y.data[src + j] - mean[j];
      sse0[j] += v * v;
      vs[i * b + j] = scale[j] > 0 ? v / scale[j] : 0;
    }
  }
  const bm = await backend.gemm(d.a, { rows: na, cols: b, data: z }, { transA: true });
  const am = await backend.gemm(d.e, { rows: nv, cols: b, data: vs }, { transA: true });
  return { bm, am, scale2: Float64Array.from(scale, (s) => s * s), sse0 };
}

/** Options of fitBandedFoldPrimal (resolved by fitBandedFold). */
export interface PrimalOptions {
  alphas: readonly number[];
  unitBatch: number;
  onUnits?: (done: number) => void;
  innerStandardize?: boolean;
}

/**
 * Banded fit of one outer fold in the primal form (same contract as fitBandedFold's other paths):
 * the γ samples of `schedule` in order, each unit's best (γ, α) kept by `search` (its patience rule
 * may stop early), then the refit on the whole training set (bands centred by its means) at each
 * unit's choice. `xtrBands`/`xteBands`: the outer fold's standardised bands; `ytr`: raw training targets.
 */
export async function fitBandedFoldPrimal(backend: Backend, xtrBands: readonly Matrix64[], ytr: Matrix64, xteBands: readonly Matrix64[], inner: readonly InnerFold[], schedule: GammaSchedule, search: PrimalSearch, opts: PrimalOptions): Promise<BandedFoldFit> {
  const B = xtrBands.length;
  const { alphas } = opts;
  const nA = alphas.length;
  const nUnits = ytr.cols;
  const nTest = xteBands[0].rows;
  const batch = Math.min(nUnits, Math.max(1, opts.unitBatch));
  const folds: { fold: InnerFold; d: Design; g: Float64Array; h: Float64Array }[] = [];
  for (const fold of inner) {
    const d = concatBands(xtrBands.map((x) => takeRows(x, fold.train)), xtrBands.map((x) => takeRows(x, fold.val)), opts.innerStandardize ?? false);
    const g = (await backend.gemm(d.a, d.a, { transA: true })).data;
    const h = (await backend.gemm(d.e, d.e, { transA: true })).data;
    folds.push({ fold, d, g, h });
  }
  const p = folds[0].d.a.cols;
  // The targets' projections do not depend on γ: kept across samples up to ~512 MB.
  const cacheable = folds.length * nUnits * (2 * p + 2) * 8 <= 512 * 2 ** 20;
  const cache = new Map<string, FoldTargets>();
  const tBuf = new Float64Array(p * nA * batch);
  const acc = new Float64Array(nA * batch);
  for (let gi = 0; gi < schedule.nIter; gi++) {
    const gamma = schedule.at(gi, search);
    const r = columnRoots(gamma, folds[0].d.colBand);
    // Per fold: the rotation R = Γ^½V, its eigenvalues and H̃ = RᵀHR.
    const rot: { rm: Matrix64; sigma: Float64Array; ht: Matrix64 }[] = [];
    for (const f of folds) {
      const { values, vectors } = await backend.syevd(scaleGram(f.g, r, p));
      const rm = rotation(vectors, values, r, p);
      const hr = await backend.gemm({ rows: p, cols: p, data: f.h }, rm);
      rot.push({ rm, sigma: values, ht: await backend.gemm(rm, hr, { transA: true }) });
    }
    for (let u0 = 0; u0 < nUnits; u0 += batch) {
      const u1 = Math.min(nUnits, u0 + batch);
      const b = u1 - u0;
      const sse = new Float64Array(nA * b);
      const sse0 = new Float64Array(b);
      for (let fi = 0; fi < folds.length; fi++) {
        const key = `${fi}:${u0}`;
        let ft = cache.get(key);
        if (!ft) { ft = await foldTargets(backend, folds[fi].d, folds[fi].fold, ytr, u0, u1); if (cacheable) cache.set(key, ft); }
        const { rm, sigma, ht } = rot[fi];
        const bt = await backend.gemm(rm, ft.bm, { transA: true });
        const at = await backend.gemm(rm, ft.am, { transA: true });
        const t = tBuf.subarray(0, p * nA * b);
        penaltyStack(bt.data, sigma, alphas, p, b, t);
        const htT = await backend.gemm(ht, { rows: p, cols: nA * b, data: t });
        accumulateSse(t, htT.data, at.data, ft.scale2, ft.sse0, p, nA, b, sse, acc.subarray(0, nA * b));
        for (let j = 0; j < b; j++) sse0[j] += ft.sse0[j];
      }
      const { chosen, score } = chooseAlphas(sse, sse0, alphas);
      search.offer(gi, u0, chosen, score);
    }
    if (search.done(gi)) break;
  }
  const yhat = await primalRefit(backend, xtrBands, ytr, xteBands, schedule, search.gamma, search.alpha, alphas, batch);
  const gammaOut = new Float64Array(nUnits * B);
  const alphaOut = new Float64Array(nUnits);
  for (let u = 0; u < nUnits; u++) { gammaOut.set(schedule.gammas[search.gamma[u]], u * B); alphaOut[u] = alphas[search.alpha[u]]; }
  opts.onUnits?.(nUnits);
  return { yhat: { rows: nTest, cols: nUnits, data: yhat }, alpha: alphaOut, valScore: search.score, gamma: gammaOut, nEvaluated: search.evaluated };
}

/**
 * Test predictions (n_test × units, float64) of the refit on the whole training set: bands centred
 * by the training means, per unit W = Γ^½(Γ^½GΓ^½ + αI)⁻¹Γ^½ X_trᵀ z at its chosen (γ, α) — one
 * eigendecomposition per distinct γ — and ŷ = mean + scale · X_te W.
 */
async function primalRefit(backend: Backend, xtrBands: readonly Matrix64[], ytr: Matrix64, xteBands: readonly Matrix64[], schedule: GammaSchedule, bestGamma: Int32Array, bestAlpha: Int32Array, alphas: readonly number[], batch: number): Promise<Float64Array> {
  const nUnits = ytr.cols;
  const nTrain = ytr.rows;
  const nTest = xteBands[0].rows;
  const d = concatBands(xtrBands, xteBands, false);
  const p = d.a.cols;
  const g = (await backend.gemm(d.a, d.a, { transA: true })).data;
  // C = X_trᵀ z for every unit (p × units), and each unit's mean and scale.
  const c = new Float64Array(p * nUnits);
  const mean = new Float64Array(nUnits);
  const scale = new Float64Array(nUnits);
  const allTrain = Int32Array.from({ length: nTrain }, (_, i) => i);
  for (let u0 = 0; u0 < nUnits; u0 += batch) {
    const u1 = Math.min(nUnits, u0 + batch);
    const b = u1 - u0;
    const z = new Float64Array(nTrain * b);
    const s = gatherStandardised(ytr, allTrain, u0, u1, z);
    mean.set(s.mean, u0);
    scale.set(s.scale, u0);
    const cb = (await backend.gemm(d.a, { rows: nTrain, cols: b, data: z }, { transA: true })).data;
    for (let i = 0; i < p; i++) c.set(cb.subarray(i * b, (i + 1) * b), i * nUnits + u0);
  }
  const yhat = new Float64Array(nTest * nUnits);
  const groups = new Map<number, number[]>();
  bestGamma.forEach((gi, u) => { const l = groups.get(gi); if (l) l.push(u); else groups.set(gi, [u]); });
  for (const [gi, units] of groups) {
    const r = columnRoots(schedule.gammas[gi], d.colBand);
    const { values, vectors } = await backend.syevd(scaleGram(g, r, p));
    const rm = rotation(vectors, values, r, p);
    const k = units.length;
    const cg = new Float64Array(p * k);
    for (let i = 0; i < p; i++) for (let j = 0; j < k; j++) cg[i * k + j] = c[i * nUnits + units[j]];
    const ct = (await backend.gemm(rm, { rows: p, cols: k, data: cg }, { transA: true })).data;
    for (let i = 0; i < p; i++) for (let j = 0; j < k; j++) ct[i * k + j] /= values[i] + alphas[bestAlpha[units[j]]];
    const w = await backend.gemm(rm, { rows: p, cols: k, data: ct });
    const pred = (await backend.gemm(d.e, w)).data;
    for (let i = 0; i < nTest; i++) for (let j = 0; j < k; j++) { const u = units[j]; yhat[i * nUnits + u] = mean[u] + scale[u] * pred[i * k + j]; }
  }
  return yhat;
}
