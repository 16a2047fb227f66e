import type { Backend } from '../linalg/backend.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { takeRows } from '../linalg/matrix.js';
import { bandWeightSamples } from '../random/dirichlet.js';
import { DEFAULT_BANDED_ITER } from './banded-defaults.js';
import { fitBandedFoldPrimal, primalApplies } from './banded-primal.js';
import { reducedGammaSearch, REDUCED_MAX_Q, REDUCED_PAIR_MAX_Q, type ReducedFactor } from './banded-reduced.js';
import { MT19937 } from '../random/mt19937.js';
import { centreDesign, standardizeDesign, chooseAlphas, DEFAULT_ALPHAS, gatherStandardised, refitColumns, ridgeFilters, searchMap, stackSearchMaps, type FoldFit, type SearchMap, type SpectralFactor } from './ridge.js';
import type { InnerFold } from './splits.js';
import { ridgeKernels, type MapGroups } from './ridge-kernels.js';
import { groupUnitsBy } from './unit-groups.js';

/**
 * Banded ridge (himalaya GroupRidgeCV as the authors' fork runs it, METHODS §4.2): B feature bands,
 * band weights γ on the simplex searched at random, each band scaled by √γ_b (equivalently a
 * per-band penalty α/γ_b), per unit the best (γ, α) by pooled inner-CV R².
 *
 * Everything is computed in the kernel form: for band weights γ the training kernel is
 * K(γ) = Σ_b γ_b X_b X_bᵀ, assembled from per-band kernels computed once per fold, and one
 * eigendecomposition of K(γ) gives the validation predictions for every α.
 */
export interface BandedOptions {
  alphas?: readonly number[];
  /** Number of γ samples (the paper: 1000). Default DEFAULT_BANDED_ITER (100). */
  nIter?: number;
  /** Seed of the MT19937 stream of the Dirichlet sampler. Default 0. */
  seed?: number;
  /** Stop when the mean best score improves by less than `tol` for `patience` samples in a row (fork: 50, 1e-4). */
  patience?: number;
  tol?: number;
  unitBatch?: number;
  onUnits?: (done: number) => void;
  /** Use the low-rank (Woodbury) path when it applies (default true); false forces the kernel path. */
  lowRank?: boolean;
  /**
   * With 2+ bands of at most PRIMAL_MAX (64) columns in all (and fewer than the training rows), run
   * the search and refit exactly in the primal p-dimensional space (banded-primal.ts: p × p
   * eigendecompositions per γ, no n_val × n_train product per sample). Default true; false forces
   * the low-rank / kernel paths.
   */
  primal?: boolean;
  /**
   * Primal path with 3+ bands only: after the search, this many steps of descent per unit on its
   * pooled inner-CV error in the log per-band penalties α/γ_b, from its best (γ, α) (banded-primal.ts,
   * refineUnit; the error never rises). The chosen γ and α are then the unit's own, off the samples
   * and the α grid. Default 0 (off).
   */
  gammaSteps?: number;
  /**
   * With 3 or more bands, spend the second half of the samples around the best ones so far
   * (GammaSchedule: log-normal steps from the samples most units chose). Default true; 1–2 bands
   * never refine (their search is unchanged). false: Dirichlet samples only, as the paper.
   */
  refine?: boolean;
  /**
   * On the low-rank path with at most REDUCED_MAX_Q narrow columns, run the γ search in the reduced
   * space (banded-reduced.ts: per-unit validation errors interpolated between exact Chebyshev nodes
   * in α', no predictions per sample). Default: from REDUCED_MIN_ITER (20) γ samples on; false
   * evaluates every sample's predictions, true forces the reduced search.
   */
  reduced?: boolean;
  /**
   * Re-standardise every band on each inner training set (z-score, scikit-learn's constant rule)
   * instead of only re-centring it, as FoldFitOptions.innerStandardize does for a single band.
   * Default false (the paper's way: the outer fold's scaling is reused in the inner folds).
   */
  innerStandardize?: boolean;
}

export interface BandedFoldFit extends FoldFit {
  /** γ chosen per unit: nUnits × B. */
  gamma: Float64Array;
  /** γ samples evaluated before stopping. */
  nEvaluated: number;
}

const EPS32 = 1.1920928955078125e-7;

/**
 * The random search's bookkeeping (the fork's rules, METHODS §4.2): per unit the best (γ, α) so
 * far, updated only on a gain beyond float32 resolution; the search stops once the mean best
 * score has improved by less than `tol` for `patience` samples in a row.
 */
class GammaSearch {
  readonly score: Float64Array;
  readonly gamma: Int32Array;
  readonly alpha: Int32Array;
  evaluated = 0;
  /** Per sample: the sum over units of its score at the unit's best α (for GammaSchedule's parents). */
  readonly sampleSum: number[] = [];
  private stale = 0;
  private previousMean = -Infinity;

  constructor(nUnits: number, private readonly patience: number, private readonly tol: number) {
    this.score = new Float64Array(nUnits).fill(-Infinity);
    this.gamma = new Int32Array(nUnits);
    this.alpha = new Int32Array(nUnits);
  }

  /** Offers sample g's chosen penalties and scores for units [u0, u0 + chosen.length). */
  offer(g: number, u0: number, chosen: Int32Array, score: Float64Array): void {
    let sum = 0;
    for (const v of score) sum += v;
    this.sampleSum[g] = (this.sampleSum[g] ?? 0) + sum;
    for (let j = 0; j < chosen.length; j++) {
      if (score[j] > this.score[u0 + j] + EPS32 || g === 0) {
        this.score[u0 + j] = score[j];
        this.gamma[u0 + j] = g;
        this.alpha[u0 + j] = chosen[j];
      }
    }
  }

  /** Samples that can still be offered before the patience rule could stop the search (≥ 1). */
  samplesBeforeStop(): number {
    return Math.max(1, this.patience - this.stale);
  }

  /** Ends sample g; returns true when the search should stop. */
  done(g: number): boolean {
    this.evaluated = g + 1;
    let mean = 0;
    for (const v of this.score) mean += v;
    mean /= this.score.length;
    this.stale = mean - this.previousMean < this.tol ? this.stale + 1 : 0;
    this.previousMean = Math.max(this.previousMean, mean);
    return this.stale >= this.patience;
  }
}

/** Fewest γ samples for which the refined search (BandedOptions.refine) runs; below it every sample is random. */
export const REFINE_MIN_ITER = 8;

/**
 * The band-weight samples of a search: the Dirichlet samples of the paper's random search, and with
 * refinement (3+ bands, at least REFINE_MIN_ITER samples) only the first ⌈n/2⌉ of them; the rest
 * are drawn in generations of up to 8 around the best samples so far. Parents: the 2 samples with
 * the highest mean score over units and the 2 that most units chose (distinct). Each child takes
 * a parent in turn and one move: (half of the children) log γ_b += σ·N(0, 1) on every band,
 * σ = 0.5·0.7^generation (≥ 0.1); (a quarter) one band switched off (× e⁻⁶); (a quarter) one band
 * switched on at the parent's largest weight × e^N(0, 1) — then normalised to the simplex. Weights
 * below 1e-12 of the largest count as that floor. The children come from their own MT19937 stream
 * (seed + 1), so the random part is the paper's sequence.
 */
export class GammaSchedule {
  readonly gammas: Float64Array[];
  private readonly nRandom: number;
  private readonly rng: MT19937;
  private generation = 0;

  constructor(seed: number, readonly nIter: number, readonly bands: number, refine: boolean) {
    const on = refine && bands >= 3 && nIter >= REFINE_MIN_ITER;
    this.nRandom = on ? Math.ceil(nIter / 2) : nIter;
    this.gammas = bandWeightSamples(new MT19937(seed), this.nRandom, bands);
    this.rng = new MT19937((seed + 1) >>> 0);
  }

  /** Whether samples after the random ones depend on the search so far. */
  get adaptive(): boolean { return this.nRandom < this.nIter; }

  /**
   * Sample g (g < nIter), drawing the next generation from the search so far when needed: `chosen`
   * (per unit, the sample it chose) and `sampleSum` (per sample, its summed score over units).
   */
  at(g: number, search: { gamma: Int32Array; sampleSum: readonly number[] }): Float64Array {
    while (g >= this.gammas.length) this.nextGeneration(search.gamma, search.sampleSum);
    return this.gammas[g];
  }

  private nextGeneration(chosen: Int32Array, sampleSum: readonly number[]): void {
    const B = this.bands;
    const counts = new Map<number, number>();
    for (const c of chosen) counts.set(c, (counts.get(c) ?? 0) + 1);
    const byCount = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([g]) => g);
    const byMean = sampleSum.map((v, g) => [v, g] as const).filter(([v]) => Number.isFinite(v)).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, g]) => g);
    const parents = [...new Set([...byMean.slice(0, 2), ...byCount.slice(0, 2)])];
    const sigma = Math.max(0.1, 0.5 * 0.7 ** this.generation);
    this.generation++;
    const size = Math.min(8, this.nIter - this.gammas.length);
    for (let k = 0; k < size; k++) {
      const p = this.gammas[parents[k % parents.length]];
      const top = Math.max(...p);
      const lg = Float64Array.from(p, (v) => Math.log(Math.max(v, 1e-12 * top)));
      const move = this.rng.randomDouble();
      if (move < 0.5) for (let b = 0; b < B; b++) lg[b] += sigma * this.rng.standardNormal();
      else if (move < 0.75) lg[Math.floor(this.rng.randomDouble() * B)] -= 6;
      else lg[Math.floor(this.rng.randomDouble() * B)] = Math.log(top) + this.rng.standardNormal();
      const mx = Math.max(...lg);
      let sum = 0;
      const child = Float64Array.from(lg, (v) => { const e = Math.exp(v - mx); sum += e; return e; });
      for (let b = 0; b < B; b++) child[b] /= sum;
      this.gammas.push(child);
    }
  }
}

/**
 * Per-band kernels of a (train, eval) pair: K_b = X_a,b X_a,bᵀ and C_b = X_e,b X_a,bᵀ, both centred
 * by the train means (`standardize`: z-scored by the train means and scales).
 */
export interface BandKernels { train: readonly Matrix64[]; cross: readonly Matrix64[] }

/** The pair's bands centred (or z-scored) with the training rows' statistics. */
function prepareBand(fit: Matrix64, other: Matrix64, standardize: boolean): { fit: Matrix64; other: Matrix64 } {
  return standardize ? standardizeDesign(fit, other) : centreDesign(fit, other);
}

async function bandKernels(backend: Backend, bandsTrain: readonly Matrix64[], bandsEval: readonly Matrix64[], standardize = false): Promise<BandKernels> {
  const train: Matrix64[] = [];
  const cross: Matrix64[] = [];
  for (let b = 0; b < bandsTrain.length; b++) {
    const { fit, other } = prepareBand(bandsTrain[b], bandsEval[b], standardize);
    train.push(await backend.gemm(fit, fit, { transB: true }));
    cross.push(await backend.gemm(other, fit, { transB: true }));
  }
  return { train, cross };
}

function weightedSum(mats: readonly Matrix64[], gamma: Float64Array): Matrix64 {
  const out = new Float64Array(mats[0].data.length);
  mats.forEach((m, b) => { const g = gamma[b]; for (let i = 0; i < out.length; i++) out[i] += g * m.data[i]; });
  return { rows: mats[0].rows, cols: mats[0].cols, data: out };
}

/**
 * The spectral factors of kernel ridge for each of `kernels` (per inner fold) and each band weights
 * γ of `gammas` (dual form: left = C(γ) U, right = Uᵀ), [kernel][γ]; all eigendecompositions in
 * one syevdMany.
 */
async function kernelFactors(backend: Backend, kernels: readonly BandKernels[], gammas: readonly Float64Array[], nFeatures: number): Promise<SpectralFactor[][]> {
  const eig = await backend.syevdMany(kernels.flatMap((k) => gammas.map((g) => weightedSum(k.train, g))));
  const out: SpectralFactor[][] = [];
  for (const [ki, k] of kernels.entries()) {
    const row: SpectralFactor[] = [];
    for (const [gi, gamma] of gammas.entries()) {
      const { values, vectors } = eig[ki * gammas.length + gi];
      for (let i = 0; i < values.length; i++) if (!(values[i] > 0)) values[i] = 0;
      const left = await backend.gemm(weightedSum(k.cross, gamma), vectors);
      const n = vectors.rows;
      const right = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) right[j * n + i] = vectors.data[i * n + j];
      row.push({ lambda: values, left, right: { rows: n, cols: n, data: right }, nFeatures });
    }
    out.push(row);
  }
  return out;
}

/**
 * The stacked float32 α-search maps (one group per sample of `gammas`, ridgeKernels' MapGroups) of a
 * (train, eval) pair's band kernels `k`: per sample the spectral factor of K(γ) (kernelFactors) and
 * its searchMap. On the native addon one call does it all (RidgeKernels.kernelMaps: the same maps,
 * a sample per thread, nothing allocated per sample in JavaScript); `typescript` forces the
 * TypeScript path.
 */
export async function kernelSearchMaps(backend: Backend, k: BandKernels, gammas: readonly Float64Array[], alphas: readonly number[], nFeatures: number, typescript = false): Promise<MapGroups> {
  const native = typescript ? undefined : ridgeKernels(backend).kernelMaps;
  if (native) return native(k.train, k.cross, gammas, alphas, backend.getThreads());
  const [factors] = await kernelFactors(backend, [k], gammas, nFeatures);
  const maps: SearchMap[] = [];
  for (const f of factors) maps.push(await searchMap(backend, f, alphas));
  return stackSearchMaps(maps, alphas.length);
}

/** Band-weight samples evaluated together on the kernel path (fitBandedFold). */
const KERNEL_CHUNK = 8;
/** …as long as their inner folds' float32 search maps (at most n_alphas blocks each) fit in this. */
const KERNEL_CHUNK_BYTES = 256 * 2 ** 20;

/**
 * Fits one outer fold of a banded ridge. `xtrBands`/`xteBands`: the standardised training and test
 * designs of each band (same rows); `ytr`: raw training targets (n_train × units).
 */
export async function fitBandedFold(backend: Backend, xtrBands: readonly Matrix64[], ytr: Matrix64, xteBands: readonly Matrix64[], inner: readonly InnerFold[], opts: BandedOptions = {}): Promise<BandedFoldFit> {
  const B = xtrBands.length;
  if (B < 1 || xteBands.length !== B) throw new RangeError(`fitBandedFold: ${B} training bands, ${xteBands.length} test bands`);
  if (inner.length < 2) throw new RangeError(`fitBandedFold: needs at least 2 inner folds, got ${inner.length}`);
  const alphas = opts.alphas ?? DEFAULT_ALPHAS;
  const nA = alphas.length;
  const nIter = B === 1 ? 1 : Math.max(1, opts.nIter ?? DEFAULT_BANDED_ITER);
  const patience = opts.patience ?? 50;
  const tol = opts.tol ?? 1e-4;
  const nUnits = ytr.cols;
  const nTrain = ytr.rows;
  const nTest = xteBands[0].rows;
  const nFeatures = xtrBands.reduce((a, m) => a + m.cols, 0);
  const batch = Math.min(nUnits, Math.max(1, opts.unitBatch ?? 4096));
  if (opts.primal !== false && primalApplies(xtrBands, nTrain)) {
    const schedule = new GammaSchedule(opts.seed ?? 0, nIter, B, opts.refine ?? true);
    return fitBandedFoldPrimal(backend, xtrBands, ytr, xteBands, inner, schedule, new GammaSearch(nUnits, patience, tol), { alphas, unitBatch: batch, onUnits: opts.onUnits, innerStandardize: opts.innerStandardize, gammaSteps: opts.gammaSteps });
  }
  const widest = Math.max(...xtrBands.map((m) => m.cols));
  const lowRankQ = nFeatures - widest;
  if (B > 1 && lowRankQ <= LOW_RANK_MAX && opts.lowRank !== false) {
    // The reduced search evaluates its samples in chunks fixed in advance: no refinement there.
    const reducedApplies = lowRankQ <= REDUCED_MAX_Q && (opts.reduced ?? nIter >= REDUCED_MIN_ITER);
    const schedule = new GammaSchedule(opts.seed ?? 0, nIter, B, (opts.refine ?? true) && !reducedApplies);
    return fitBandedFoldLowRank(backend, xtrBands, ytr, xteBands, inner, schedule, { alphas, patience, tol, unitBatch: batch, onUnits: opts.onUnits, innerStandardize: opts.innerStandardize, reduced: opts.reduced });
  }
  const schedule = new GammaSchedule(opts.seed ?? 0, nIter, B, opts.refine ?? true);
  const gammas = schedule.gammas;

  const innerKernels: { fold: InnerFold; k: BandKernels }[] = [];
  for (const fold of inner) {
    const k = await bandKernels(backend, xtrBands.map((x) => takeRows(x, fold.train)), xtrBands.map((x) => takeRows(x, fold.val)), opts.innerStandardize ?? false);
    innerKernels.push({ fold, k });
  }
  const rows = inner.map((fold) => ({ train: Int32Array.from(fold.train), val: Int32Array.from(fold.val) }));
  const kernels = ridgeKernels(backend);

  const search = new GammaSearch(nUnits, patience, tol);
  const threads = backend.getThreads();
  // The samples are evaluated in chunks: per inner fold the chunk's kernels are decomposed together
  // (syevdMany: one per core at a time) and its float32 maps from standardised training targets to
  // the validation predictions of every α — formed in float64, in basis form where the filters'
  // low rank makes that cheaper (searchMap) — are stacked, so that each unit batch gathers its
  // training targets once for the whole chunk (innerSseGroups). The samples are then offered in
  // order with the patience rule checked after each, as one at a time; a chunk never reaches past
  // the first sample at which the rule could stop the search, so no sample is evaluated in vain.
  const nv = Math.max(...rows.map((r) => r.val.length));
  const na = Math.max(...rows.map((r) => r.train.length));
  const chunkMax = Math.max(1, Math.min(KERNEL_CHUNK, Math.floor(KERNEL_CHUNK_BYTES / (rows.length * nA * nv * na * 4))));
  for (let g0 = 0; g0 < nIter;) {
    schedule.at(g0, search);
    const size = Math.max(1, Math.min(chunkMax, nIter - g0, schedule.gammas.length - g0, search.samplesBeforeStop()));
    const chunk = schedule.gammas.slice(g0, g0 + size);
    const groups: MapGroups[] = [];
    for (const { k } of innerKernels) groups.push(await kernelSearchMaps(backend, k, chunk, alphas, nFeatures));
    const offers: { u0: number; chosen: Int32Array; score: Float64Array }[][] = chunk.map(() => []);
    for (let u0 = 0; u0 < nUnits; u0 += batch) {
      const u1 = Math.min(nUnits, u0 + batch);
      const b = u1 - u0;
      const cols = Int32Array.from({ length: b }, (_, j) => u0 + j);
      const sse = new Float64Array(size * nA * b);
      const sse0 = new Float64Array(b);
      for (let f = 0; f < groups.length; f++) await kernels.innerSseGroups(groups[f], ytr, rows[f].train, rows[f].val, cols, sse, sse0, threads);
      for (let k = 0; k < size; k++) offers[k].push({ u0, ...chooseAlphas(sse.subarray(k * nA * b, (k + 1) * nA * b), sse0, alphas) });
    }
    let stop = false;
    for (let k = 0; k < size && !stop; k++) {
      for (const o of offers[k]) search.offer(g0 + k, o.u0, o.chosen, o.score);
      stop = search.done(g0 + k);
    }
    if (stop) break;
    g0 += size;
  }
  const { score: bestScore, gamma: bestGamma, alpha: bestAlpha } = search;

  // Refit per distinct γ: units that chose the same γ share one kernel eigendecomposition.
  const outerK = await bandKernels(backend, xtrBands, xteBands);
  const yhat = new Float64Array(nTest * nUnits);
  const gammaOut = new Float64Array(nUnits * B);
  const alphaOut = new Float64Array(nUnits);
  const refitGroups = [...groupUnitsBy(bestGamma)];
  let outers: SpectralFactor[] = [];
  for (const [gi, [g, units]] of refitGroups.entries()) {
    // The next KERNEL_CHUNK distinct γ are decomposed together.
    if (gi % KERNEL_CHUNK === 0) [outers] = await kernelFactors(backend, [outerK], refitGroups.slice(gi, gi + KERNEL_CHUNK).map(([h]) => gammas[h]), nFeatures);
    const outer = outers[gi % KERNEL_CHUNK];
    const filters = ridgeFilters(outer.lambda, alphas);
    for (let k0 = 0; k0 < units.length; k0 += batch) {
      const cols = Int32Array.from(units.slice(k0, k0 + batch));
      await refitColumns(backend, kernels, outer, filters, Int32Array.from(cols, (u) => bestAlpha[u]), ytr, cols, yhat);
    }
    for (const u of units) {
      gammaOut.set(gammas[g], u * B);
      alphaOut[u] = alphas[bestAlpha[u]];
    }
  }
  opts.onUnits?.(nUnits);
  return { yhat: { rows: nTest, cols: nUnits, data: yhat }, alpha: alphaOut, valScore: bestScore, gamma: gammaOut, nEvaluated: search.evaluated };
}

/* ------------------------------------------------------------------------------------------------
 * Low-rank path. When all bands but the widest ("base") band m have q ≤ LOW_RANK_MAX columns in
 * total (the paper's confound bands have 1–11), the kernel K(γ) = γ_m K_m + Z D_γ Zᵀ is a rank-q
 * update of the base kernel. With K_m = U Λ Uᵀ decomposed ONCE per fold, Woodbury gives, for
 * A = γ_m K_m + αI (diagonal in U) and Z_s = Z D_γ^{1/2}, W_s = Uᵀ Z_s, f = 1/(γ_m λ + α):
 *
 *   (K(γ) + αI)⁻¹ Y = U g,   g = f ∘ (Ỹ − W_s (I + W_sᵀ diag(f) W_s)⁻¹ W_sᵀ (f ∘ Ỹ)),   Ỹ = Uᵀ Y
 *
 * and the evaluation rows' predictions are (γ_m L_m + Z_e D_γ Wᵀ) g with L_m = X_e,m X_a,mᵀ U, computed
 * as γ_m L_m g + Z_e D_γ^{1/2} T with T = D_γ^{1/2} Wᵀ g, the q × b solution of the Cholesky step
 * (no cancellation: see lowRankPredict). No eigendecomposition per γ: only a q × q Cholesky solve
 * per (γ, α).
 * ---------------------------------------------------------------------------------------------- */
export const LOW_RANK_MAX = 32;

/** Fewest γ samples for which the reduced search runs by default (BandedOptions.reduced). */
export const REDUCED_MIN_ITER = 20;

/**
 * Per (train, eval) pair: the base band's eigenbasis and the low-rank bands in that basis (the
 * float64 part is what the reduced search reads), plus float32 copies for the bulk of the work.
 */
interface LowRankFactor extends ReducedFactor {
  /** Uᵀ in float32 (n_a × n_a), for Ỹ = Uᵀ Y. */
  ut32: Float32Array;
  /** L_m = X_e,m X_a,mᵀ U (n_e × n_a), float32 (it multiplies the bulk of the work). */
  lm32: Float32Array;
}

async function lowRankFactor(backend: Backend, trainBands: readonly Matrix64[], evalBands: readonly Matrix64[], base: number, standardize = false): Promise<LowRankFactor> {
  const centred = trainBands.map((xa, b) => {
    const { fit, other } = prepareBand(xa, evalBands[b], standardize);
    return { a: fit, e: other };
  });
  const na = trainBands[0].rows;
  const ne = evalBands[0].rows;
  const km = await backend.gemm(centred[base].a, centred[base].a, { transB: true });
  const { values, vectors } = await backend.syevd(km);
  for (let i = 0; i < values.length; i++) if (!(values[i] > 0)) values[i] = 0;
  const cross = await backend.gemm(centred[base].e, centred[base].a, { transB: true });
  const lm = (await backend.gemm(cross, vectors)).data;
  const lm32 = Float32Array.from(lm);
  const others = centred.map((c, b) => ({ ...c, b })).filter((c) => c.b !== base);
  const q = others.reduce((a, c) => a + c.a.cols, 0);
  const za = new Float64Array(na * q);
  const ze = new Float64Array(ne * q);
  const zBand = new Int32Array(q);
  let off = 0;
  for (const o of others) {
    for (let i = 0; i < na; i++) for (let j = 0; j < o.a.cols; j++) za[i * q + off + j] = o.a.data[i * o.a.cols + j];
    for (let i = 0; i < ne; i++) for (let j = 0; j < o.e.cols; j++) ze[i * q + off + j] = o.e.data[i * o.e.cols + j];
    zBand.fill(o.b, off, off + o.a.cols);
    off += o.a.cols;
  }
  const w = (await backend.gemm(vectors, { rows: na, cols: q, data: za }, { transA: true })).data;
  const ut32 = new Float32Array(na * na);
  for (let i = 0; i < na; i++) for (let j = 0; j < na; j++) ut32[j * na + i] = vectors.data[i * na + j];
  return { lambda: values, ut32, lm32, u: vectors.data, lm, w, ze, zBand, na, ne, q };
}

/** In-place Cholesky of a q × q SPD matrix (lower), then solves L Lᵀ X = B for B (q × b) in place. */
function choleskySolve(m: Float64Array, q: number, rhs: Float64Array, b: number): void {
  for (let j = 0; j < q; j++) {
    let d = m[j * q + j];
    for (let k = 0; k < j; k++) d -= m[j * q + k] * m[j * q + k];
    const ljj = Math.sqrt(Math.max(d, 1e-300));
    m[j * q + j] = ljj;
    for (let i = j + 1; i < q; i++) {
      let s = m[i * q + j];
      for (let k = 0; k < j; k++) s -= m[i * q + k] * m[j * q + k];
      m[i * q + j] = s / ljj;
    }
  }
  for (let c = 0; c < b; c++) {
    for (let i = 0; i < q; i++) {
      let s = rhs[i * b + c];
      for (let k = 0; k < i; k++) s -= m[i * q + k] * rhs[k * b + c];
      rhs[i * b + c] = s / m[i * q + i];
    }
    for (let i = q - 1; i >= 0; i--) {
      let s = rhs[i * b + c];
      for (let k = i + 1; k < q; k++) s -= m[k * q + i] * rhs[k * b + c];
      rhs[i * b + c] = s / m[i * q + i];
    }
  }
}

/** Reusable scratch arrays (the γ search calls lowRankPredict thousands of times). */
const scratch64 = new Map<string, Float64Array>();
const scratch32 = new Map<string, Float32Array>();
function s64(name: string, n: number): Float64Array {
  let a = scratch64.get(name);
  if (!a || a.length < n) { a = new Float64Array(n); scratch64.set(name, a); }
  return a.length === n ? a : a.subarray(0, n);
}
function s32(name: string, n: number): Float32Array {
  let a = scratch32.get(name);
  if (!a || a.length < n) { a = new Float32Array(n); scratch32.set(name, a); }
  return a.length === n ? a : a.subarray(0, n);
}

/**
 * Output columns of lowRankPredict: consecutive runs of columns sharing a penalty — run k is
 * `runs[k].count` columns at penalty alphas[runs[k].alpha] — and the target column (of yTilde)
 * each output column predicts, `src` (one entry per output column).
 */
interface PredictColumns { runs: readonly { alpha: number; count: number }[]; src: Int32Array }

/** Every penalty for each of b targets: run a = the b targets at penalty a (the search). */
function everyPenalty(nA: number, b: number): PredictColumns {
  const src = new Int32Array(nA * b);
  for (let a = 0; a < nA; a++) for (let j = 0; j < b; j++) src[a * b + j] = j;
  return { runs: Array.from({ length: nA }, (_, a) => ({ alpha: a, count: b })), src };
}

/**
 * Predictions on the evaluation rows of `f` for band weights γ, for centred training targets
 * yTilde = Uᵀ Y_a (n_a × b, float64), in the columns `cols` (PredictColumns: every penalty for
 * every target in the search, each target at its own penalty in the refit). Returns
 * n_e × cols.src.length float64, scratch: valid until the next call.
 */
async function lowRankPredict(backend: Backend, f: LowRankFactor, gamma: Float64Array, base: number, alphas: readonly number[], cols: PredictColumns, yTilde: Float64Array, b: number): Promise<Float64Array> {
  const { na, ne, q, lambda, w, zBand } = f;
  const gm = gamma[base];
  const sq = Float64Array.from(zBand, (band) => Math.sqrt(gamma[band]));
  // W_s = W D^{1/2} (n_a × q).
  const ws = s64('ws', na * q);
  for (let i = 0; i < na; i++) for (let k = 0; k < q; k++) ws[i * q + k] = w[i * q + k] * sq[k];
  const { runs, src } = cols;
  const width = src.length;
  // Each run's filter f = 1/(γ_m λ + α) and first column.
  const fvs = runs.map((r) => { const fv = new Float64Array(na); for (let i = 0; i < na; i++) fv[i] = 1 / (gm * lambda[i] + alphas[r.alpha]); return fv; });
  const first = new Int32Array(runs.length);
  for (let k = 1; k < runs.length; k++) first[k] = first[k - 1] + runs[k - 1].count;
  // H = [f_c ∘ Ỹ_src(c)]_c (n_a × width) ; T = W_sᵀ H (q × width), one GEMM for every penalty.
  const h = s64('h', na * width);
  for (let i = 0; i < na; i++) {
    const row = i * width;
    const yrow = i * b;
    for (let k = 0; k < runs.length; k++) {
      const fi = fvs[k][i];
      for (let c = first[k], end = c + runs[k].count; c < end; c++) h[row + c] = fi * yTilde[yrow + src[c]];
    }
  }
  const wsM = { rows: na, cols: q, data: ws };
  const t = (await backend.gemm(wsM, { rows: na, cols: width, data: h }, { transA: true, c: { rows: q, cols: width, data: s64('t', q * width) } })).data;
  // Per run: its columns of T ← (I + W_sᵀ diag(f) W_s)⁻¹ T.
  const mq = new Float64Array(q * q);
  for (let k = 0; k < runs.length; k++) {
    const fv = fvs[k];
    mq.fill(0);
    for (let i = 0; i < na; i++) {
      const fi = fv[i];
      for (let r = 0; r < q; r++) {
        const v = ws[i * q + r] * fi;
        for (let c = 0; c <= r; c++) mq[r * q + c] += v * ws[i * q + c];
      }
    }
    for (let r = 0; r < q; r++) mq[r * q + r] += 1;
    const nc = runs[k].count;
    const c0 = first[k];
    const tk = s64('tk', q * nc);
    for (let r = 0; r < q; r++) for (let j = 0; j < nc; j++) tk[r * nc + j] = t[r * width + c0 + j];
    choleskySolve(mq, q, tk, nc);
    for (let r = 0; r < q; r++) for (let j = 0; j < nc; j++) t[r * width + c0 + j] = tk[r * nc + j];
  }
  // g_c = f_c ∘ (Ỹ_src(c) − W_s T_c), all columns at once; γ_m folded in for the base band's term.
  const wst = (await backend.gemm(wsM, { rows: q, cols: width, data: t }, { c: { rows: na, cols: width, data: s64('wst', na * width) } })).data;
  const g = s32('g', na * width);
  for (let i = 0; i < na; i++) {
    const row = i * width;
    const yrow = i * b;
    for (let k = 0; k < runs.length; k++) {
      const fi = gm * fvs[k][i];
      for (let c = first[k], end = c + runs[k].count; c < end; c++) g[row + c] = fi * (yTilde[yrow + src[c]] - wst[row + c]);
    }
  }
  // Predictions (γ_m L_m + Z_e D_γ Wᵀ) g. The low-rank bands' term is NOT formed as Wᵀ g: on the base
  // kernel's null space g ≈ Ỹ/α is large and Wᵀ g cancels it (in float32 that lost up to ~1e-3 of a
  // unit's R² at small α and a small weight on the base band). By Woodbury,
  // D^{1/2} Wᵀ g = D^{1/2} Z_aᵀ (K(γ) + αI)⁻¹ Y = (I + W_sᵀ F W_s)⁻¹ W_sᵀ F Ỹ = T_k exactly, so that term
  // is Z_e D^{1/2} T (n_e × q × width, float64) with no cancellation; the base term L_m g is small
  // where g is large (L_m vanishes on the null space) and stays float32, the bulk of the work.
  const base32 = await backend.gemm({ rows: ne, cols: na, data: f.lm32 }, { rows: na, cols: width, data: g }, { c: { rows: ne, cols: width, data: s32('out', ne * width) } });
  const zes = s64('zes', ne * q);
  for (let i = 0; i < ne; i++) for (let k = 0; k < q; k++) zes[i * q + k] = f.ze[i * q + k] * sq[k];
  const pred = (await backend.gemm({ rows: ne, cols: q, data: zes }, { rows: q, cols: width, data: t }, { c: { rows: ne, cols: width, data: s64('pred', ne * width) } })).data;
  const b32 = base32.data;
  for (let i = 0; i < pred.length; i++) pred[i] += b32[i];
  return pred;
}

/**
 * Ỹ = Uᵀ (Y[rows, u0:u1] − mean)/scale as float64 (targets standardised per unit, see
 * gatherStandardised: predictions from Ỹ map back as mean + scale · ŷ), and the mean and scale.
 */
async function rotateTargets(backend: Backend, f: LowRankFactor, y: Matrix64, rows: ArrayLike<number>, u0: number, u1: number): Promise<{ yTilde: Float64Array; mean: Float64Array; scale: Float64Array }> {
  const b = u1 - u0;
  const buf = new Float32Array(rows.length * b);
  const { mean, scale } = gatherStandardised(y, rows, u0, u1, buf);
  const yt = await backend.gemm({ rows: f.na, cols: f.na, data: f.ut32 }, { rows: rows.length, cols: b, data: buf });
  return { yTilde: Float64Array.from(yt.data), mean, scale };
}

/** Low-rank banded fit of one outer fold (same contract as the kernel path of fitBandedFold). */
export async function fitBandedFoldLowRank(backend: Backend, xtrBands: readonly Matrix64[], ytr: Matrix64, xteBands: readonly Matrix64[], inner: readonly InnerFold[], schedule: GammaSchedule, opts: { alphas: readonly number[]; patience: number; tol: number; unitBatch: number; onUnits?: (done: number) => void; innerStandardize?: boolean; reduced?: boolean }): Promise<BandedFoldFit> {
  const B = xtrBands.length;
  const base = xtrBands.reduce((best, m, b) => (m.cols > xtrBands[best].cols ? b : best), 0);
  const { alphas, patience, tol } = opts;
  const nA = alphas.length;
  const nUnits = ytr.cols;
  const nTrain = ytr.rows;
  const nTest = xteBands[0].rows;
  const batch = Math.min(nUnits, Math.max(1, opts.unitBatch));
  const factors: { fold: InnerFold; f: LowRankFactor }[] = [];
  for (const fold of inner) {
    factors.push({ fold, f: await lowRankFactor(backend, xtrBands.map((x) => takeRows(x, fold.train)), xtrBands.map((x) => takeRows(x, fold.val)), base, opts.innerStandardize ?? false) });
  }
  const search = new GammaSearch(nUnits, patience, tol);
  // The pair-feature mode keeps ~(2q + 1) float64 per unit, node (≤ ~64) and inner fold: beyond ~2 GiB
  // (about 100,000 units at q = 3) the direct mode runs instead. α' = α/γ_m must stay finite.
  const q = factors[0].f.q;
  // By default only from REDUCED_MIN_ITER samples on: its ~30–50 exact nodes cost more than a few
  // samples' predictions.
  const gammas = schedule.gammas;
  const reduced = !schedule.adaptive && (opts.reduced ?? gammas.length >= REDUCED_MIN_ITER) && q <= REDUCED_MAX_Q && gammas.every((g) => g[base] > 1e-100);
  // Pair features for few narrow columns while they fit; else the direct evaluation (unit batches).
  const pairs = q <= REDUCED_PAIR_MAX_Q && factors.length * 64 * (2 * q + 1) * nUnits * 8 <= 2 ** 31;
  if (reduced) await reducedGammaSearch(backend, factors.map(({ f }) => f), ytr, inner, gammas, base, alphas, search, { firstChunk: patience + 1, mode: pairs ? 'pairs' : 'direct' });
  // Rotated targets do not depend on γ: keep them across samples when they fit in ~256 MB.
  const cacheable = factors.reduce((a, { f }) => a + f.na, 0) * nUnits * 8 < 256 * 2 ** 20;
  const rotated = new Map<string, { yTilde: Float64Array; mean: Float64Array; scale: Float64Array }>();
  for (let gi = 0; gi < (reduced ? 0 : schedule.nIter); gi++) {
    const gamma = schedule.at(gi, search);
    for (let u0 = 0; u0 < nUnits; u0 += batch) {
      const u1 = Math.min(nUnits, u0 + batch);
      const b = u1 - u0;
      const sse = new Float64Array(nA * b);
      const sse0 = new Float64Array(b);
      const columns = everyPenalty(nA, b);
      for (const [fi, { fold, f }] of factors.entries()) {
        const key = `${fi}:${u0}`;
        let rot = rotated.get(key);
        if (!rot) { rot = await rotateTargets(backend, f, ytr, fold.train, u0, u1); if (cacheable) rotated.set(key, rot); }
        const { yTilde, mean, scale } = rot;
        const P = await lowRankPredict(backend, f, gamma, base, alphas, columns, yTilde, b);
        for (let i = 0; i < fold.val.length; i++) {
          const src = fold.val[i] * ytr.cols + u0;
          for (let j = 0; j < b; j++) {
            const v = ytr.data[src + j] - mean[j];
            sse0[j] += v * v;
            const prow = i * nA * b;
            for (let a = 0; a < nA; a++) {
              const d = v - scale[j] * P[prow + a * b + j];
              sse[a * b + j] += d * d;
            }
          }
        }
      }
      const { chosen, score } = chooseAlphas(sse, sse0, alphas);
      search.offer(gi, u0, chosen, score);
    }
    if (search.done(gi)) break;
  }
  const { score: bestScore, gamma: bestGamma, alpha: bestAlpha } = search;
  // Refit on the whole training set: one factor. Per unit batch the targets are rotated once, then
  // the units of each band weights are predicted together, each at its own penalty (lowRankPredict's
  // per-column penalties): one set of products per γ, not one per (γ, α) pair — with the paper's
  // search the units of a fold spread over hundreds of pairs.
  const outer = await lowRankFactor(backend, xtrBands, xteBands, base);
  const allTrain = Int32Array.from({ length: nTrain }, (_, i) => i);
  const yhat = new Float64Array(nTest * nUnits);
  const gammaOut = new Float64Array(nUnits * B);
  const alphaOut = new Float64Array(nUnits);
  for (let u0 = 0; u0 < nUnits; u0 += batch) {
    const u1 = Math.min(nUnits, u0 + batch);
    const b = u1 - u0;
    const { yTilde, mean, scale } = await rotateTargets(backend, outer, ytr, allTrain, u0, u1);
    for (const [g, units] of groupUnitsBy(bestGamma, u0, u1)) {
      // The group's units ordered by penalty: one run of columns per penalty.
      const order = Int32Array.from(units).sort((x, y) => bestAlpha[u0 + x] - bestAlpha[u0 + y]);
      const runs: { alpha: number; count: number }[] = [];
      for (const j of order) { const a = bestAlpha[u0 + j]; const last = runs[runs.length - 1]; if (last && last.alpha === a) last.count++; else runs.push({ alpha: a, count: 1 }); }
      const nc = order.length;
      const P = await lowRankPredict(backend, outer, gammas[g], base, alphas, { runs, src: order }, yTilde, b);
      for (let i = 0; i < nTest; i++) for (let k = 0; k < nc; k++) { const j = order[k]; yhat[i * nUnits + u0 + j] = mean[j] + scale[j] * P[i * nc + k]; }
      for (const j of order) { gammaOut.set(gammas[g], (u0 + j) * B); alphaOut[u0 + j] = alphas[bestAlpha[u0 + j]]; }
    }
  }
  opts.onUnits?.(nUnits);
  return { yhat: { rows: nTest, cols: nUnits, data: yhat }, alpha: alphaOut, valScore: bestScore, gamma: gammaOut, nEvaluated: search.evaluated };
}
