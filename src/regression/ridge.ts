import type { Backend } from '../linalg/backend.js';
import type { Matrix32, Matrix64 } from '../linalg/matrix.js';
import { copy, takeRows, to32 } from '../linalg/matrix.js';
import type { InnerFold } from './splits.js';
import { applyStandardizer, fitStandardizer } from './standardize.js';
import { ridgeKernels, type MapGroups, type RidgeKernels, type TargetScaling } from './ridge-kernels.js';
import { componentWeights, factorFilters } from './filter-basis.js';

export type { TargetScaling } from './ridge-kernels.js';

/** The published α grid (METHODS §4.2): 2^k for k = −5 … 19 (α = 0 is never selectable). */
export const DEFAULT_ALPHAS: readonly number[] = Array.from({ length: 25 }, (_, i) => 2 ** (i - 5));

/** float32 machine epsilon, used by the pseudo-inverse cutoff of torch.linalg.pinv (§4.4). */
const EPS32 = 1.1920928955078125e-7;

/**
 * A training design X_a (n_a × p, centred) factored once so that ridge predictions on an
 * evaluation design X_e (n_e × p, centred with X_a's mean) for any penalty are
 *   Ŷ_e(α) = left · diag(1/(λ + α)) · right · Y_a      (Y_a centred by its mean).
 *
 * Primal form (p ≤ n_a): XᵀX = V Λ Vᵀ, left = X_e V (n_e × p), right = (X_a V)ᵀ (p × n_a).
 * Dual (kernel) form (p > n_a): X Xᵀ = U Λ Uᵀ, left = X_e X_aᵀ U (n_e × n_a), right = Uᵀ.
 * Both come from one symmetric eigendecomposition (LAPACK syevd), which does not fail to
 * converge on badly conditioned designs the way an SVD can. Tiny negative eigenvalues from
 * rounding are set to 0.
 */
export interface SpectralFactor {
  /** Eigenvalues λ (length r), ≥ 0. */
  lambda: Float64Array;
  /** n_e × r. */
  left: Matrix64;
  /** r × n_a. */
  right: Matrix64;
  /** Number of features p of the design. */
  nFeatures: number;
}

export async function spectralFactor(backend: Backend, xa: Matrix64, xe: Matrix64): Promise<SpectralFactor> {
  const p = xa.cols;
  if (xe.cols !== p) throw new RangeError(`spectralFactor: X_a has ${p} columns, X_e has ${xe.cols}`);
  if (p <= xa.rows) {
    const gram = await backend.gemm(xa, xa, { transA: true });
    const { values, vectors } = await backend.syevd(gram);
    clipNonNegative(values);
    const left = await backend.gemm(xe, vectors);
    const xav = await backend.gemm(xa, vectors);
    const right = transposeMatrix(xav);
    return { lambda: values, left, right, nFeatures: p };
  }
  const kernel = await backend.gemm(xa, xa, { transB: true });
  const { values, vectors } = await backend.syevd(kernel);
  clipNonNegative(values);
  const cross = await backend.gemm(xe, xa, { transB: true });
  const left = await backend.gemm(cross, vectors);
  const right = transposeMatrix(vectors);
  return { lambda: values, left, right, nFeatures: p };
}

function clipNonNegative(v: Float64Array): void {
  for (let i = 0; i < v.length; i++) if (!(v[i] > 0)) v[i] = 0;
}

function transposeMatrix(m: Matrix64): Matrix64 {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j];
  return { rows: m.cols, cols: m.rows, data: out };
}

/**
 * Spectral filters: one length-r vector per penalty, the diagonal applied between `left` and
 * `right`. Ridge: 1/(λ + α). Minimum-norm least squares (α = "pinv"): 1/λ where λ exceeds
 * torch.linalg.pinv's default cutoff p·ε_f32·λ_max, else 0 (§4.4).
 */
/**
 * Which singular values least squares drops: 'pinv-f32' = the authors' torch.linalg.pinv(XᵀX) on
 * float32 (§4.4); 'lstsq' = scikit-learn LinearRegression / numpy lstsq (Brain-Score, §9.2).
 */
export type OlsCutoff = 'pinv-f32' | 'lstsq';

export function ridgeFilters(lambda: Float64Array, alphas: readonly number[]): Float64Array[] {
  return alphas.map((a) => {
    const f = new Float64Array(lambda.length);
    for (let k = 0; k < lambda.length; k++) f[k] = 1 / (lambda[k] + a);
    return f;
  });
}

export function pinvFilter(lambda: Float64Array, nFeatures: number, rule: OlsCutoff = 'pinv-f32', nSamples = 0): Float64Array {
  let max = 0;
  for (const l of lambda) if (l > max) max = l;
  // λ are eigenvalues of XᵀX, i.e. squared singular values of X (torch pinv is applied to XᵀX;
  // LAPACK gelsd, behind numpy/scikit-learn lstsq, to X with rcond = ε64·max(n, p)).
  const rcond = 2.220446049250313e-16 * Math.max(nSamples, nFeatures);
  const cut = rule === 'pinv-f32' ? nFeatures * EPS32 * max : rcond * rcond * max;
  const f = new Float64Array(lambda.length);
  for (let k = 0; k < lambda.length; k++) f[k] = lambda[k] > cut && lambda[k] > 0 ? 1 / lambda[k] : 0;
  return f;
}

/**
 * The filtered left factors of every penalty stacked in one matrix (float32 by default, for the α
 * search; float64 for the refit), (nFilters · n_e) × r with block f = left · diag(filters[f]), so
 * that one GEMM with the coefficients `right · Y_a` (r × b) gives the predictions of every penalty
 * at once.
 */
export function stackFilteredLeft(factor: SpectralFactor, filters: readonly Float64Array[]): Matrix32;
export function stackFilteredLeft(factor: SpectralFactor, filters: readonly Float64Array[], precision: 'float64'): Matrix64;
export function stackFilteredLeft(factor: SpectralFactor, filters: readonly Float64Array[], precision: 'float32' | 'float64' = 'float32'): Matrix32 | Matrix64 {
  const ne = factor.left.rows;
  const r = factor.lambda.length;
  const size = filters.length * ne * r;
  const stacked = precision === 'float64' ? new Float64Array(size) : new Float32Array(size);
  const L = factor.left.data;
  for (let f = 0; f < filters.length; f++) {
    const filt = filters[f];
    const base = f * ne * r;
    for (let i = 0; i < ne; i++) {
      const row = i * r;
      for (let k = 0; k < r; k++) stacked[base + row + k] = L[row + k] * filt[k];
    }
  }
  const rows = filters.length * ne;
  return stacked instanceof Float64Array ? { rows, cols: r, data: stacked } : { rows, cols: r, data: stacked };
}

/** Spread at or below this multiple of |mean| is float64 rounding of a constant (ε₆₄ = 2⁻⁵²). */
const ROUNDING_SPREAD = 64 * 2.220446049250313e-16;

/**
 * Rows `rows`, columns [u0, u1) of y, standardised per unit in float64 — (y − mean)/scale with
 * the mean and max-abs scale of those rows — then written (rows × b) into `out` (float32 for the
 * α search, float64 for the refit).
 * Everything that runs in float32 therefore sees values in [−1, 1] whatever the units, offset or
 * magnitude of y (1e-30 … 1e40 alike: no overflow, underflow or cancellation); predictions from
 * these values map back as mean + scale · ŷ in float64.
 */
export function gatherStandardised(y: Matrix64, rows: ArrayLike<number>, u0: number, u1: number, out: Float32Array | Float64Array): TargetScaling {
  const b = u1 - u0;
  const mean = new Float64Array(b);
  const scale = new Float64Array(b);
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * y.cols + u0;
    for (let j = 0; j < b; j++) mean[j] += y.data[src + j];
  }
  for (let j = 0; j < b; j++) mean[j] /= rows.length;
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * y.cols + u0;
    for (let j = 0; j < b; j++) {
      const d = Math.abs(y.data[src + j] - mean[j]);
      if (d > scale[j]) scale[j] = d;
    }
  }
  for (let j = 0; j < b; j++) if (scale[j] <= ROUNDING_SPREAD * Math.abs(mean[j])) scale[j] = 0;
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * y.cols + u0;
    const dst = k * b;
    for (let j = 0; j < b; j++) out[dst + j] = scale[j] > 0 ? (y.data[src + j] - mean[j]) / scale[j] : 0;
  }
  return { mean, scale };
}

/** Copies of `fit` and `other` z-scored with `fit`'s column means and scales (§4.1 rule). */
export function standardizeDesign(fit: Matrix64, other: Matrix64): { fit: Matrix64; other: Matrix64 } {
  const all = Int32Array.from({ length: fit.rows }, (_, i) => i);
  const s = fitStandardizer(fit, all);
  return { fit: applyStandardizer(fit, all, s), other: applyStandardizer(other, Int32Array.from({ length: other.rows }, (_, i) => i), s) };
}

/** standardizeDesign(takeRows(x, fitRows), takeRows(x, otherRows)) without the row copies (same numbers). */
export function standardizeRows(x: Matrix64, fitRows: ArrayLike<number>, otherRows: ArrayLike<number>): { fit: Matrix64; other: Matrix64 } {
  const s = fitStandardizer(x, fitRows);
  return { fit: applyStandardizer(x, fitRows, s), other: applyStandardizer(x, otherRows, s) };
}

/** Copies of `fit` and `other` (same columns) centred by the column means of `fit`. */
export function centreDesign(fit: Matrix64, other: Matrix64): { fit: Matrix64; other: Matrix64 } {
  const p = fit.cols;
  const mean = new Float64Array(p);
  for (let i = 0; i < fit.rows; i++) for (let j = 0; j < p; j++) mean[j] += fit.data[i * p + j];
  for (let j = 0; j < p; j++) mean[j] /= fit.rows || 1;
  const f = copy(fit);
  const o = copy(other);
  for (let i = 0; i < f.rows; i++) for (let j = 0; j < p; j++) f.data[i * p + j] -= mean[j];
  for (let i = 0; i < o.rows; i++) for (let j = 0; j < p; j++) o.data[i * p + j] -= mean[j];
  return { fit: f, other: o };
}

export type Estimator = 'ridge' | 'ols';

export interface FoldFitOptions {
  estimator: Estimator;
  /** Penalties to search (ridge only). Default DEFAULT_ALPHAS. */
  alphas?: readonly number[];
  /** Units fitted per batch; bounds memory at about (n_alphas · n_val + n) · batch floats. Default 4096. */
  unitBatch?: number;
  /** Called after each unit batch with the number of units done. */
  onUnits?: (done: number) => void;
  /** OLS only: the singular-value cutoff rule (default 'pinv-f32'). */
  olsCutoff?: OlsCutoff;
  /**
   * Re-standardise X on each inner training set (z-score, scikit-learn's constant rule) instead of
   * only re-centring it. The paper z-scores once per outer fold, so its inner CV cannot see what
   * z-scoring does to a held-out sample (e.g. OASM with small σ); default false (the paper's way).
   */
  innerStandardize?: boolean;
  /**
   * Rows of `ytr` that are the training set, in the order of X's training rows (default: all rows
   * of ytr). Lets the caller pass the whole response matrix instead of a copy per fold.
   */
  trainRows?: Int32Array;
  /** Return test predictions as deviations from the training mean of each unit (default: in y's units). */
  deviations?: boolean;
  /**
   * How the maps from targets to predictions are applied: 'auto' (default) forms them where small
   * or cheaper (useMap), else applies their factors, and forms the α search's maps in basis form
   * where that is cheaper (searchMap); 'map' / 'factored' force one form and 'map' the α search's
   * map of every penalty, 'basis' forms the maps with the α search's in basis form (checks).
   */
  form?: 'auto' | 'map' | 'basis' | 'factored';
}

/** One outer fold's fit: test predictions and, per unit, the chosen α and its inner-CV score. */
export interface FoldFit {
  /** n_test × units predictions. */
  yhat: Matrix64;
  /** Chosen α per unit (NaN for OLS). */
  alpha: Float64Array;
  /** Pooled inner-CV R² at the chosen α per unit (NaN for OLS). */
  valScore: Float64Array;
}

export const view32 = (buf: Float32Array, rows: number, cols: number): Matrix32 => ({ rows, cols, data: buf.subarray(0, rows * cols) });

/**
 * Fits one outer fold (METHODS §4.2 / §4.4). `xtr`/`xte` are the standardised designs
 * (n_train × p, n_test × p); `ytr` the raw training targets (n_train × units, y not standardised),
 * or, with `opts.trainRows`, a larger response matrix whose rows `trainRows` are the training set.
 *
 * Ridge: for each inner fold, X and Y are re-centred by the inner-training means and one
 * eigendecomposition gives the validation predictions for every α. Per unit, α* maximises the
 * pooled inner-CV R², 1 − Σ_f SSE_f(α) / Σ_f SSE0_f (0 where Σ SSE0 = 0), plus 1e-10·ln α to break
 * ties toward larger α. The refit on the whole training set uses α* and the training means as the
 * intercept. OLS: minimum-norm least squares with the pinv cutoff, intercept = training mean.
 *
 * Precision: designs, eigendecompositions, the maps from targets to predictions and error sums are
 * float64. The α search's products that map targets to validation predictions for all penalties
 * (the bulk of the work: one (n_alphas · n_val) × n_a float32 map per inner fold, formed once in
 * float64, times the targets) run in float32, as the authors' code runs every regression, on
 * targets standardised per unit in float64 first (ridge-kernels.ts: native gather, sgemm and
 * per-α error sums in one call), so that no offset or magnitude of y (raw BOLD near 1e4, y × 1e40
 * or × 1e-30) overflows, underflows or cancels there. The refit at the chosen α, which gives the
 * test predictions, runs in float64, one GEMM per chosen penalty over the units that chose it.
 * Where such a map would be large and the factored form cheaper (thousands of samples, see
 * useMap), the α search and the refit use the factors instead (left · diag(filter) times right · Y).
 *
 * This is prepareFold (the decompositions) followed by fitUnits (every unit, in batches).
 */
export async function fitFold(backend: Backend, xtr: Matrix64, ytr: Matrix64, xte: Matrix64, inner: readonly InnerFold[], opts: FoldFitOptions): Promise<FoldFit> {
  const nTrain = opts.trainRows?.length ?? ytr.rows;
  if (xtr.rows !== nTrain) throw new RangeError(`fitFold: X has ${xtr.rows} training rows, y ${nTrain}`);
  const factors = await prepareFold(backend, xtr, xte, inner, opts);
  return fitUnits(backend, factors, ytr, opts);
}

/**
 * Elements of a map at or below which it is always formed: the α search's float32 map of all
 * penalties (64 MiB) and each refit penalty's float64 map (32 MiB; a fold keeps one per chosen
 * penalty). Pereira-, Fedorenko- and Blank-sized fits stay below both.
 */
const INNER_MAP_ELEMENTS = 1 << 24;
const OUTER_MAP_ELEMENTS = 1 << 22;

/**
 * Whether an n_e × n_a map is formed rather than applied in factored form: always when small
 * (≤ `limit` elements), else only when it costs fewer multiply-adds per unit than the factors'
 * r · (n_a + n_e) (e.g. 10,000 samples, 500 features: the factors cost ~9× less).
 */
function useMap(ne: number, na: number, r: number, limit: number): boolean {
  return ne * na <= limit || ne * na <= r * (na + ne);
}

/**
 * One inner fold of the α search, ready for any units: its training and validation rows (positions
 * within the outer training set) and the float32 map from standardised inner-training targets to
 * the validation predictions of every penalty, (n_alphas · n_val) × n_a, either formed (`s`) or
 * as its two factors (`right`: r × n_a, `stacked`: (n_alphas · n_val) × r, see useMap).
 */
export type InnerMap = { train: Int32Array; val: Int32Array } & (SearchMap | { kind: 'factored'; right: Matrix32; stacked: Matrix32 });

/**
 * A formed α-search map: every penalty's block ('map', (n_alphas · n_val) × n_a), or, where the
 * fold's filters have a basis of R < n_alphas rows that is cheaper (filter-basis.ts), the R basis
 * filters' blocks ('basis', (R · n_val) × n_a) and each penalty's combination of them
 * (coef, n_alphas × R).
 */
export type SearchMap = { kind: 'map'; s: Matrix32 } | { kind: 'basis'; s: Matrix32; coef: Matrix32 };

/**
 * The float32 α-search map of `factor` (n_val = factor.left.rows, n_a = factor.right.cols) for
 * `alphas`, formed in float64: in basis form when its R basis filters cost fewer multiply-adds per
 * unit, R · n_val · (n_a + n_alphas), than the n_alphas · n_val · n_a of every penalty's block.
 * Each penalty's map is reproduced to float32 resolution (FILTER_BASIS_TOL, relative Frobenius).
 */
export async function searchMap(backend: Backend, factor: SpectralFactor, alphas: readonly number[], form: 'auto' | 'map' | 'basis' = 'auto'): Promise<SearchMap> {
  const filters = ridgeFilters(factor.lambda, alphas);
  const nA = alphas.length;
  const na = factor.right.cols;
  const fb = form === 'map' ? null : factorFilters(filters, componentWeights(factor.left, factor.right));
  if (fb && fb.rank > 0 && (form === 'basis' || fb.rank * (na + nA) < nA * na)) {
    const s = to32(await backend.gemm(stackFilteredLeft(factor, fb.basis, 'float64'), factor.right));
    return { kind: 'basis', s, coef: { rows: nA, cols: fb.rank, data: Float32Array.from(fb.coef) } };
  }
  return { kind: 'map', s: to32(await backend.gemm(stackFilteredLeft(factor, filters, 'float64'), factor.right)) };
}

/** RidgeKernels.innerSse / innerSseBasis for a formed α-search map (searchMap). */
export function searchMapSse(kernels: RidgeKernels, m: SearchMap, nA: number, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array): Promise<void> {
  return m.kind === 'map' ? kernels.innerSse(m.s, nA, y, train, val, cols, sse, sse0) : kernels.innerSseBasis(m.s, m.coef, y, train, val, cols, sse, sse0);
}

/**
 * Search maps of one inner fold stacked for RidgeKernels.innerSseGroups (one group each, in order;
 * a map in plain form becomes n_alphas basis maps with the identity as its combination).
 */
export function stackSearchMaps(maps: readonly SearchMap[], nA: number): MapGroups {
  const nB = Int32Array.from(maps, (m) => (m.kind === 'basis' ? m.coef.cols : nA));
  const cols = maps[0].s.cols;
  const rows = maps.reduce((a, m) => a + m.s.rows, 0);
  const s = new Float32Array(rows * cols);
  const coef = new Float32Array(nA * nB.reduce((a, v) => a + v, 0));
  let row = 0;
  let off = 0;
  maps.forEach((m, g) => {
    s.set(m.s.data, row * cols);
    row += m.s.rows;
    if (m.kind === 'basis') coef.set(m.coef.data, off);
    else for (let a = 0; a < nA; a++) coef[off + a * nA + a] = 1;
    off += nA * nB[g];
  });
  return { s: { rows, cols, data: s }, nB, coef, nA };
}

/**
 * One outer fold's decompositions (prepareFold), computed once and shared by every unit batch
 * (fitUnits): plain typed arrays, no reference to y.
 */
export interface FoldFactors {
  estimator: Estimator;
  /** Penalties searched (ridge); [] for OLS. */
  alphas: readonly number[];
  /** Outer training and test sizes. */
  nTrain: number;
  nTest: number;
  /** Train → test factor of the design centred by its training mean. */
  outer: SpectralFactor;
  /** Whether the refit forms each chosen penalty's n_test × n_train map or applies the factors (useMap). */
  outerForm: 'map' | 'factored';
  /** Spectral filter of each penalty of `alphas` (ridge), or the one pinv filter (OLS). */
  outerFilters: Float64Array[];
  /** Ridge: one per inner fold; [] for OLS. */
  inner: InnerMap[];
}

/** The design-side options of a fold (FoldFitOptions without the unit-side ones). */
export type FoldPrepOptions = Pick<FoldFitOptions, 'estimator' | 'alphas' | 'olsCutoff' | 'innerStandardize' | 'form'>;

/**
 * The decompositions of one outer fold from its standardised designs `xtr` (n_train × p) and `xte`
 * (n_test × p) and inner folds (positions within the training rows): the outer spectral factor and
 * filters and, for ridge, each inner fold's α-search map. Independent of y: compute once, then call
 * fitUnits for any units (all at once, in batches, or on other machines).
 */
export async function prepareFold(backend: Backend, xtr: Matrix64, xte: Matrix64, inner: readonly InnerFold[], opts: FoldPrepOptions): Promise<FoldFactors> {
  const nTrain = xtr.rows;
  // Outer factor: train → test (X_offset is ≈ 0 after z-scoring, but centre exactly as himalaya does).
  const outerDesign = centreDesign(xtr, xte);
  const outer = await spectralFactor(backend, outerDesign.fit, outerDesign.other);
  const form = opts.form ?? 'auto';
  const mapped = (ne: number, na: number, r: number, limit: number) => (form === 'auto' ? useMap(ne, na, r, limit) : form !== 'factored');
  const outerForm: 'map' | 'factored' = mapped(xte.rows, nTrain, outer.lambda.length, OUTER_MAP_ELEMENTS) ? 'map' : 'factored';
  const base = { nTrain, nTest: xte.rows, outer, outerForm };
  if (opts.estimator === 'ols') {
    const filter = pinvFilter(outer.lambda, outer.nFeatures, opts.olsCutoff ?? 'pinv-f32', nTrain);
    return { ...base, estimator: 'ols', alphas: [], outerFilters: [filter], inner: [] };
  }
  const alphas = opts.alphas ?? DEFAULT_ALPHAS;
  if (inner.length < 2) throw new RangeError(`fitFold: ridge needs at least 2 inner folds, got ${inner.length}`);
  // Per inner fold, one float32 map from training targets to the validation predictions of every
  // penalty, (nA · n_val) × n_train: the filtered left factors times the right factor, formed once in
  // float64 (the α search is then a single sgemm per inner fold and unit block) — or, where that map
  // is large, its two factors in float32.
  const maps: InnerMap[] = [];
  for (const fold of inner) {
    if (fold.train.length === 0 || fold.val.length === 0) throw new RangeError('fitFold: an inner fold has no training or no validation rows');
    // Re-standardised straight from xtr's rows (standardizeDesign of the row copies, without them).
    const d = opts.innerStandardize ? standardizeRows(xtr, fold.train, fold.val) : centreDesign(takeRows(xtr, fold.train), takeRows(xtr, fold.val));
    const factor = await spectralFactor(backend, d.fit, d.other);
    const rows = { train: Int32Array.from(fold.train), val: Int32Array.from(fold.val) };
    if (mapped(alphas.length * fold.val.length, fold.train.length, factor.lambda.length, INNER_MAP_ELEMENTS)) {
      maps.push({ ...rows, ...(await searchMap(backend, factor, alphas, form === 'factored' ? 'auto' : form)) });
    } else {
      maps.push({ ...rows, kind: 'factored', right: to32(factor.right), stacked: stackFilteredLeft(factor, ridgeFilters(factor.lambda, alphas)) });
    }
  }
  return { ...base, estimator: 'ridge', alphas, outerFilters: ridgeFilters(outer.lambda, alphas), inner: maps };
}

/** The unit-side options of fitUnits. */
export interface UnitFitOptions {
  /** Rows of `y` that are the outer training set, in the order of the design's training rows (default: all rows). */
  trainRows?: Int32Array;
  /** Columns [u0, u1) of `y` to fit (default: all). */
  units?: readonly [number, number];
  /** Units per batch (memory bound); default 4096. */
  unitBatch?: number;
  /** Called after each batch with the number of units of the range done. */
  onUnits?: (done: number) => void;
  /** Predictions as deviations from each unit's training mean (default: in y's units). */
  deviations?: boolean;
}

/** Outer-fold refit maps cached per FoldFactors (formed on first use, shared by later calls). */
const outerMapCache = new WeakMap<FoldFactors, OuterMaps>();

/**
 * Fits units [u0, u1) of `y` (default all columns) with one outer fold's decompositions `factors`
 * (prepareFold): per unit the α search over the inner folds, then the refit on the training rows
 * `opts.trainRows` of y (default all rows; their count must be factors.nTrain). Returns
 * n_test × (u1 − u0) predictions and, per unit, the chosen α and its inner-CV score. Each unit's
 * numbers depend only on its own column: fitting a range, or the same units in other batches,
 * gives the same values as fitting them all at once.
 */
export async function fitUnits(backend: Backend, factors: FoldFactors, y: Matrix64, opts: UnitFitOptions = {}): Promise<FoldFit> {
  const trainRows = opts.trainRows ?? Int32Array.from({ length: y.rows }, (_, i) => i);
  const nTrain = trainRows.length;
  if (nTrain !== factors.nTrain) throw new RangeError(`fitUnits: the fold has ${factors.nTrain} training rows, y ${nTrain}`);
  const [r0, r1] = opts.units ?? [0, y.cols];
  if (!(0 <= r0 && r0 <= r1 && r1 <= y.cols)) throw new RangeError(`fitUnits: units [${r0}, ${r1}) outside y's ${y.cols} columns`);
  const nUnits = r1 - r0;
  const nTest = factors.nTest;
  const batch = Math.min(Math.max(1, nUnits), Math.max(1, opts.unitBatch ?? 4096));
  const { alphas } = factors;
  const nA = alphas.length;
  const kernels = ridgeKernels(backend);
  const yhat = new Float64Array(nTest * nUnits);
  const alphaOut = new Float64Array(nUnits).fill(NaN);
  const valOut = new Float64Array(nUnits).fill(NaN);
  const out: PredictionTarget = { yhat, nUnits, offset: r0, deviations: opts.deviations ?? false };
  let outerMaps = outerMapCache.get(factors);
  if (!outerMaps) outerMapCache.set(factors, (outerMaps = new OuterMaps(backend, factors.outer, factors.outerForm === 'map')));

  if (factors.estimator === 'ols') {
    for (let u0 = r0; u0 < r1; u0 += batch) {
      const u1 = Math.min(r1, u0 + batch);
      await refitUnits(kernels, outerMaps, factors.outerFilters, new Int32Array(u1 - u0), y, trainRows, u0, out);
      opts.onUnits?.(u1 - r0);
    }
    return { yhat: { rows: nTest, cols: nUnits, data: yhat }, alpha: alphaOut, valScore: valOut };
  }
  // The inner folds' rows as rows of y.
  const innerRows = factors.inner.map((m) => ({ m, train: Int32Array.from(m.train, (i) => trainRows[i]), val: Int32Array.from(m.val, (i) => trainRows[i]) }));
  for (let u0 = r0; u0 < r1; u0 += batch) {
    const u1 = Math.min(r1, u0 + batch);
    const b = u1 - u0;
    const cols = Int32Array.from({ length: b }, (_, j) => u0 + j);
    const sse = new Float64Array(nA * b);
    const sse0 = new Float64Array(b);
    for (const { m, train, val } of innerRows) {
      if (m.kind !== 'factored') await searchMapSse(kernels, m, nA, y, train, val, cols, sse, sse0);
      else await factoredInnerSse(backend, kernels, m, nA, y, train, val, cols, sse, sse0);
    }
    const { chosen, score } = chooseAlphas(sse, sse0, alphas);
    for (let j = 0; j < b; j++) {
      alphaOut[u0 - r0 + j] = alphas[chosen[j]];
      valOut[u0 - r0 + j] = score[j];
    }
    await refitUnits(kernels, outerMaps, factors.outerFilters, chosen, y, trainRows, u0, out);
    opts.onUnits?.(u1 - r0);
  }
  return { yhat: { rows: nTest, cols: nUnits, data: yhat }, alpha: alphaOut, valScore: valOut };
}

/** Units per block of factoredInnerSse (its float32 predictions, n_alphas · n_val × block, stay ≤ a few tens of MB). */
const FACTORED_BLOCK = 256;

/**
 * RidgeKernels.innerSse for a factored inner map: Z = gather(y, train, cols) in float32,
 * P = stacked · (right · Z), and in the units of y
 *   sse[a · b + j] += Σ_i (y[val_i, cols_j] − mean_j − scale_j · P[a · nv + i, j])²,
 *   sse0[j]        += Σ_i (y[val_i, cols_j] − mean_j)²,
 * in blocks of FACTORED_BLOCK units.
 */
async function factoredInnerSse(backend: Backend, kernels: RidgeKernels, m: { right: Matrix32; stacked: Matrix32 }, nA: number, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array): Promise<void> {
  const b = cols.length;
  const na = train.length;
  const nv = val.length;
  const r = m.right.rows;
  if (m.stacked.rows !== nA * nv || m.right.cols !== na) throw new RangeError(`innerSse: factors ${m.stacked.rows} × ${m.stacked.cols} and ${r} × ${m.right.cols}, expected ${nA * nv} × r and r × ${na}`);
  const blk = Math.min(b, FACTORED_BLOCK);
  const z = new Float32Array(na * blk);
  const coef = new Float32Array(r * blk);
  const pred = new Float32Array(nA * nv * blk);
  const yv = new Float64Array(nv * blk);
  const ld = y.cols;
  const yd = y.data;
  for (let j0 = 0; j0 < b; j0 += blk) {
    const g = Math.min(blk, b - j0);
    const sub = cols.subarray(j0, j0 + g);
    const { mean, scale } = await kernels.gather(y, train, sub, z);
    await backend.gemm(m.right, view32(z, na, g), { c: view32(coef, r, g) });
    const P = (await backend.gemm(m.stacked, view32(coef, r, g), { c: view32(pred, nA * nv, g) })).data;
    for (let i = 0; i < nv; i++) {
      const src = val[i] * ld;
      for (let j = 0; j < g; j++) {
        const v = yd[src + sub[j]] - mean[j];
        yv[i * g + j] = v;
        sse0[j0 + j] += v * v;
      }
    }
    for (let a = 0; a < nA; a++) {
      const acc = a * b + j0;
      for (let i = 0; i < nv; i++) {
        const prow = (a * nv + i) * g;
        const yrow = i * g;
        for (let j = 0; j < g; j++) {
          const d = yv[yrow + j] - scale[j] * P[prow + j];
          sse[acc + j] += d * d;
        }
      }
    }
  }
}

/**
 * Where refitted test predictions go: yhat is n_test × nUnits, unit u in column u − offset;
 * deviations: without the training mean.
 */
interface PredictionTarget {
  yhat: Float64Array;
  nUnits: number;
  offset: number;
  deviations: boolean;
}

/**
 * The outer fold's float64 maps from training targets to test predictions, one per filter,
 * left · diag(filter) · right (n_test × n_train), formed on first use — or, where such a map is
 * large (useMap), the filtered left factor (n_test × r) applied to right · Y.
 */
class OuterMaps {
  private readonly maps = new Map<Float64Array, Promise<Matrix64>>();
  constructor(private readonly backend: Backend, private readonly factor: SpectralFactor, private readonly useMap: boolean) {}
  get(filter: Float64Array): Promise<Matrix64> {
    let m = this.maps.get(filter);
    if (!m) {
      const left = stackFilteredLeft(this.factor, [filter], 'float64');
      m = this.useMap ? this.backend.gemm(left, this.factor.right) : Promise.resolve(left);
      this.maps.set(filter, m);
    }
    return m;
  }
  /** Test predictions (n_test × g) of standardised training targets ya (n_train × g) under `filter`. */
  async predict(filter: Float64Array, ya: Matrix64): Promise<Matrix64> {
    if (this.useMap) return this.backend.gemm(await this.get(filter), ya);
    const coef = await this.backend.gemm(this.factor.right, ya);
    return this.backend.gemm(await this.get(filter), coef);
  }
}

/**
 * Refits units u0 … u0 + chosen.length − 1 on the whole training set (rows `trainRows` of y), each
 * with its chosen filter, in float64: the units that chose the same penalty are gathered together
 * (standardised per unit) and mapped to test predictions by one GEMM with that penalty's outer map,
 * then written in the units of y (mean + scale · ŷ) or as deviations from the training mean (scale · ŷ).
 */
async function refitUnits(kernels: RidgeKernels, maps: OuterMaps, filters: readonly Float64Array[], chosen: Int32Array, y: Matrix64, trainRows: Int32Array, u0: number, out: PredictionTarget): Promise<void> {
  const groups = new Map<number, number[]>();
  chosen.forEach((a, j) => {
    const g = groups.get(a);
    if (g) g.push(u0 + j);
    else groups.set(a, [u0 + j]);
  });
  const nTrain = trainRows.length;
  const { yhat, nUnits, offset, deviations } = out;
  for (const [a, units] of groups) {
    const cols = Int32Array.from(units);
    const g = cols.length;
    const ya = new Float64Array(nTrain * g);
    const { mean, scale } = await kernels.gather(y, trainRows, cols, ya);
    const pred = await maps.predict(filters[a], { rows: nTrain, cols: g, data: ya });
    const nTest = pred.rows;
    const p = pred.data;
    for (let i = 0; i < nTest; i++) {
      for (let j = 0; j < g; j++) {
        const v = scale[j] * p[i * g + j];
        yhat[i * nUnits + cols[j] - offset] = deviations ? v : mean[j] + v;
      }
    }
  }
}

/**
 * Per unit, the penalty maximising the pooled inner-CV R² = 1 − ΣSSE/ΣSSE0 (0 where ΣSSE0 = 0)
 * plus 1e-10·ln α (ties go to larger α), and that R² (without the tie-break term).
 */
export function chooseAlphas(sse: Float64Array, sse0: Float64Array, alphas: readonly number[]): { chosen: Int32Array; score: Float64Array } {
  const b = sse0.length;
  const nA = alphas.length;
  const logAlpha = alphas.map((a) => 1e-10 * Math.log(a));
  const chosen = new Int32Array(b);
  const score = new Float64Array(b);
  for (let j = 0; j < b; j++) {
    let best = -Infinity;
    for (let a = 0; a < nA; a++) {
      const s = sse0[j] > 0 ? 1 - sse[a * b + j] / sse0[j] : 0;
      const keyed = s + logAlpha[a];
      if (keyed > best) { best = keyed; chosen[j] = a; score[j] = s; }
    }
  }
  return { chosen, score };
}

/**
 * Test predictions of units `cols` of y (n_train × units, raw), each with its own penalty: unit j
 * uses filters[chosen[j]] of the spectral factor `outer`, ŷ_j = left · (filter ∘ (right · z_j))
 * for its standardised training targets z_j (float64 throughout), written into yhat
 * (n_test × y.cols) at column cols[j] in y's units (mean + scale · ŷ). One product per step for
 * all units, whatever their penalties. Float64, unlike the α search: float32 rounding of the
 * standardised targets would move predictions by ~1e-7 relative whenever y changes in its last
 * float64 bits (y + 1e6 vs y), and r by more than 1e-9.
 */
export async function refitColumns(backend: Backend, kernels: RidgeKernels, outer: SpectralFactor, filters: readonly Float64Array[], chosen: Int32Array, y: Matrix64, cols: Int32Array, yhat: Float64Array): Promise<void> {
  const b = cols.length;
  const nTrain = y.rows;
  const nTest = outer.left.rows;
  const r = outer.lambda.length;
  const ya = new Float64Array(nTrain * b);
  const { mean, scale } = await kernels.gather(y, Int32Array.from({ length: nTrain }, (_, i) => i), cols, ya);
  const coef = (await backend.gemm(outer.right, { rows: nTrain, cols: b, data: ya })).data;
  for (let k = 0; k < r; k++) for (let j = 0; j < b; j++) coef[k * b + j] *= filters[chosen[j]][k];
  const pred = (await backend.gemm(outer.left, { rows: r, cols: b, data: coef })).data;
  for (let i = 0; i < nTest; i++) for (let j = 0; j < b; j++) yhat[i * y.cols + cols[j]] = mean[j] + scale[j] * pred[i * b + j];
}
