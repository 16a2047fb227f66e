/**
 * A low-rank factorisation of the ridge α search's spectral filters (issue 13).
 *
 * The α search maps training targets to the validation predictions of every penalty through
 * left · diag(f_α) · right with f_α(λ_k) = 1/(λ_k + α) over the fold's spectrum λ (ridge.ts). The
 * n_α × r matrix F[α, k] = f_α(λ_k) is Cauchy-like and of low numerical rank: F ≈ C Φ with
 * R ≪ n_α rows Φ. The search then forms the maps of Φ's R rows only (R · n_val × n_a instead of
 * n_α · n_val × n_a, the bulk of its multiply-adds) and gets each α's predictions as C's
 * combination of the R basis predictions.
 *
 * Accuracy is measured where it matters: with weights w_k = ‖left[:, k]‖ · ‖right[k, :]‖ (the
 * norm of component k's rank-one term; right's rows are orthogonal in both spectral forms, so
 * ‖left · diag(Δf) · right‖_F = ‖w ∘ Δf‖₂ exactly), every penalty's row is reproduced to
 *   ‖w ∘ (C_α Φ − f_α)‖₂ ≤ tol · ‖w ∘ f_α‖₂,
 * i.e. each α's map to `tol` relative Frobenius error (default 2⁻²⁴ ≈ 6·10⁻⁸, float32's unit
 * roundoff: under the rounding the float32 map already has). Components with w_k = 0 (a null
 * space, whose left column vanishes) do not enter any prediction and get Φ = 0.
 */

/** F ≈ C Φ: `rank` basis rows and the coefficients of every filter in them. */
export interface FilterBasis {
  /** Number of basis rows R (0 only when every filter is 0 on the weighted components). */
  rank: number;
  /** Basis rows Φ_j, each of length r (the spectrum's length). */
  basis: Float64Array[];
  /** n_filters × R, row-major: filter α ≈ Σ_j coef[α · R + j] · basis[j]. */
  coef: Float64Array;
}

/** float32's unit roundoff, 2⁻²⁴: the default relative accuracy of every reconstructed map. */
export const FILTER_BASIS_TOL = 2 ** -24;

/**
 * Factors `filters` (n_α rows of length r) as C Φ (see the module comment) by Gram–Schmidt with
 * pivoting on the weighted, row-normalised rows: at each step the row with the largest residual
 * joins the basis (orthonormalised twice against the basis so far), until every row's residual is
 * ≤ tol. Φ_j = q_j / w (q_j orthonormal in the weighted space), C[α, j] = (w ∘ f_α) · q_j, so
 * C_α Φ is the orthogonal projection of w ∘ f_α onto the basis, divided by w.
 *
 * `weights` (length r, ≥ 0; default all 1) are the w_k above.
 */
export function factorFilters(filters: readonly Float64Array[], weights?: Float64Array, tol = FILTER_BASIS_TOL): FilterBasis {
  const nF = filters.length;
  const r = nF === 0 ? 0 : filters[0].length;
  if (weights && weights.length !== r) throw new RangeError(`factorFilters: ${weights.length} weights for ${r} components`);
  for (const f of filters) if (f.length !== r) throw new RangeError(`factorFilters: filters of lengths ${r} and ${f.length}`);
  const w = weights ?? new Float64Array(r).fill(1);
  // Weighted rows g_α = w ∘ f_α and their normalised residuals e_α.
  const g = filters.map((f) => Float64Array.from(f, (v, k) => v * w[k]));
  const norms = g.map(norm2);
  const e = g.map((row, a) => (norms[a] > 0 ? row.map((v) => v / norms[a]) : new Float64Array(r)));
  const q: Float64Array[] = [];
  const maxRank = Math.min(nF, r);
  while (q.length < maxRank) {
    let best = -1;
    let bestNorm = tol;
    for (let a = 0; a < nF; a++) {
      const n = norm2(e[a]);
      if (n > bestNorm) { bestNorm = n; best = a; }
    }
    if (best < 0) break;
    const v = Float64Array.from(e[best]);
    for (let pass = 0; pass < 2; pass++) for (const qj of q) axpy(-dot(v, qj), qj, v);
    const nv = norm2(v);
    if (!(nv > 0)) break;
    for (let k = 0; k < r; k++) v[k] /= nv;
    q.push(v);
    for (let a = 0; a < nF; a++) axpy(-dot(e[a], v), v, e[a]);
  }
  const R = q.length;
  const coef = new Float64Array(nF * R);
  for (let a = 0; a < nF; a++) for (let j = 0; j < R; j++) coef[a * R + j] = dot(g[a], q[j]);
  const basis = q.map((qj) => Float64Array.from(qj, (v, k) => (w[k] > 0 ? v / w[k] : 0)));
  return { rank: R, basis, coef };
}

/**
 * The weights of factorFilters for a spectral factor's `left` (n_e × r) and `right` (r × n_a),
 * both row-major: w_k = ‖left[:, k]‖₂ · ‖right[k, :]‖₂.
 */
export function componentWeights(left: { rows: number; cols: number; data: Float64Array }, right: { rows: number; cols: number; data: Float64Array }): Float64Array {
  const r = left.cols;
  if (right.rows !== r) throw new RangeError(`componentWeights: left has ${r} columns, right ${right.rows} rows`);
  const lw = new Float64Array(r);
  for (let i = 0; i < left.rows; i++) for (let k = 0; k < r; k++) lw[k] += left.data[i * r + k] ** 2;
  const w = new Float64Array(r);
  for (let k = 0; k < r; k++) {
    let s = 0;
    for (let j = 0; j < right.cols; j++) s += right.data[k * right.cols + j] ** 2;
    w[k] = Math.sqrt(lw[k] * s);
  }
  return w;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function norm2(a: Float64Array): number {
  // Scaled to avoid overflow/underflow of squares (filters reach 1/α = 32 … 1/λ_max).
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]));
  if (m === 0) return 0;
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] / m) ** 2;
  return m * Math.sqrt(s);
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let k = 0; k < y.length; k++) y[k] += alpha * x[k];
}
