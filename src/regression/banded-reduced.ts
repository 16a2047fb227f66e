import type { Backend } from '../linalg/backend.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { ridgeKernels } from './ridge-kernels.js';
import { searchMap, searchMapSse, type SearchMap } from './ridge.js';
import type { InnerFold } from './splits.js';

/**
 * The banded random search (METHODS §4.2) for narrow band(s) + one wide ("base") band, evaluated in
 * a reduced space instead of forming predictions per (γ, α) sample.
 *
 * Predictions are invariant under (γ, α) → (cγ, cα), so with γ_m the base band's weight a sample
 * is (ρ, α') with ρ_b = γ_b/γ_m per narrow band and α' = α/γ_m. In the base band's eigenbasis U
 * (K_m = U Λ Uᵀ, per inner fold), with ỹ = Uᵀ y (training targets standardised per unit),
 * A = X_v,m X_a,mᵀ U (n_v × n_a), W = Uᵀ Z_a (n_a × q: the q narrow columns), H = (Λ + α')⁻¹ and
 * R = diag(√ρ) per narrow column, Woodbury gives the validation predictions (in y's units,
 * `scale` the unit's max-abs scale) as
 *
 *   ŷ_v = scale · (a + V₀ S m),  a = A H ỹ,  m = Wᵀ H ỹ,  V₀ = Z_e − A H W,
 *   S = R (I + R Wᵀ H W R)⁻¹ R,
 *
 * so with e = v − scale·a (v: validation targets minus the training mean), E₀ = ‖e‖², p = V₀ᵀ e
 * and m' = scale·m, each unit's validation error is
 *
 *   SSE(ρ, α') = E₀(α') − 2 pᵀ S m' + m'ᵀ S V₀ᵀV₀ S m'.
 *
 * E₀, p and m' depend on α' only (per unit), S and V₀ᵀV₀ are q × q and the same for every unit.
 * Those per-unit functions are rational in α' with poles at −λ_i ≤ 0; they are computed exactly
 * (the same float32 map + float64 error sums as a single ridge fit) at a few Chebyshev nodes in α'
 * and interpolated at every sample's α' (piecewise: polynomial in α' below the base kernel's
 * smallest non-zero eigenvalue, in ln α' across its spectrum, in 1/α' above it; the pieces are
 * sized for a relative interpolation error of ~1e-8, under the float32 resolution of the node
 * values). The per-sample work is then one GEMM of (samples × node features) × (node features
 * × units) per piece, with no n_v × n_a product per sample.
 */

/**
 * Narrow columns handled by the reduced search: up to REDUCED_PAIR_MAX_Q by products of node
 * statistics as GEMM features (features per node grow as q²), beyond that (up to banded.ts's
 * LOW_RANK_MAX) by the direct evaluation (directSearch).
 */
export const REDUCED_MAX_Q = 32;
export const REDUCED_PAIR_MAX_Q = 4;

/** Bytes of node statistics the direct evaluation keeps across chunks (else recomputed per chunk). */
const DIRECT_KEEP_BYTES = 2 ** 30;

/** One inner fold's base eigenbasis and narrow columns (what banded.ts's low-rank factor holds). */
export interface ReducedFactor {
  /** Eigenvalues of the base kernel (n_a), negatives clamped to 0. */
  lambda: Float64Array;
  /** Eigenvectors U (n_a × n_a, row-major, columns are vectors). */
  u: Float64Array;
  /** A = X_e,m X_a,mᵀ U (n_e × n_a). */
  lm: Float64Array;
  /** W = Uᵀ Z_a (n_a × q). */
  w: Float64Array;
  /** Z_e (n_e × q). */
  ze: Float64Array;
  /** Band of each narrow column. */
  zBand: Int32Array;
  na: number;
  ne: number;
  q: number;
}

/** The search's bookkeeping (banded.ts's GammaSearch). */
export interface SearchSink {
  offer(g: number, u0: number, chosen: Int32Array, score: Float64Array): void;
  done(g: number): boolean;
}

/** Eigenvalues at or below this fraction of the largest are the base kernel's null space (λ = 0). */
const NULL_FRACTION = 1e-10;

/** A piece of the α' axis: Chebyshev–Lobatto nodes in the piece's variable. */
interface Piece {
  kind: 'linear' | 'log' | 'inverse';
  /** Interval in the piece's variable (α', ln α' or 1/α'). */
  lo: number;
  hi: number;
  /** Nodes in the piece's variable, and as α'. */
  t: Float64Array;
  alpha: Float64Array;
  /** Barycentric weights. */
  bw: Float64Array;
  /** Index of the piece's first node in the global node list. */
  first: number;
}

function chebPiece(kind: Piece['kind'], lo: number, hi: number, n: number, first: number): Piece {
  const t = new Float64Array(n + 1);
  const bw = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    t[k] = (lo + hi) / 2 + ((hi - lo) / 2) * Math.cos((k * Math.PI) / n);
    bw[k] = (k % 2 === 0 ? 1 : -1) * (k === 0 || k === n ? 0.5 : 1);
  }
  // Exact end points (the formula rounds lo to 0 when lo ≪ hi, i.e. α' = ∞ on the 1/α' piece).
  t[0] = hi;
  t[n] = lo;
  const alpha = Float64Array.from(t, (x) => (kind === 'linear' ? x : kind === 'log' ? Math.exp(x) : 1 / x));
  return { kind, lo, hi, t, alpha, bw, first };
}

/** The variable of `piece` at penalty α'. */
const pieceVar = (p: Piece, a: number): number => (p.kind === 'linear' ? a : p.kind === 'log' ? Math.log(a) : 1 / a);

/** Barycentric interpolation weights of `piece` at variable value x (sum to 1). */
function baryWeights(p: Piece, x: number, out: Float64Array): void {
  const n = p.t.length;
  for (let k = 0; k < n; k++) {
    if (Math.abs(x - p.t[k]) <= 1e-15 * Math.max(1, Math.abs(x))) { out.fill(0, 0, n); out[k] = 1; return; }
  }
  let s = 0;
  for (let k = 0; k < n; k++) { out[k] = p.bw[k] / (x - p.t[k]); s += out[k]; }
  for (let k = 0; k < n; k++) out[k] /= s;
}

/** Relative interpolation error each piece is sized for (Chebyshev: ~ρ⁻ⁿ, ρ of the Bernstein ellipse). */
const INTERP_EPS = 1e-8;

/** Chebyshev degree for error INTERP_EPS when the nearest singularity gives ellipse parameter ρ. */
const degreeFor = (rho: number) => Math.max(4, Math.ceil(Math.log(1 / INTERP_EPS) / Math.log(rho)));

/** Bernstein ρ of an interval [lo, hi] whose nearest singularity lies on the real axis at `sing` < lo. */
function rhoReal(lo: number, hi: number, sing: number): number {
  const x = ((lo + hi) / 2 - sing) / ((hi - lo) / 2);
  return x + Math.sqrt(x * x - 1);
}

/**
 * Pieces covering [aLo, aHi] given the base spectra's smallest non-null and largest eigenvalues:
 * polynomial in α' on [aLo, λ_min/2] (nearest pole −λ_min; null-space terms only reach m, which is
 * interpolated as α'·m), in ln α' up to 2λ_max (poles at ln λ ± iπ; pieces of width ≤ 4), in 1/α'
 * beyond (nearest pole −1/λ_max). Each piece's degree gives an error ~INTERP_EPS.
 */
export function alphaPieces(aLo: number, aHi: number, lamMin: number, lamMax: number): Piece[] {
  const pieces: Piece[] = [];
  let first = 0;
  const add = (kind: Piece['kind'], lo: number, hi: number, n: number) => { const p = chebPiece(kind, lo, hi, n, first); pieces.push(p); first += p.t.length; };
  const b1 = Math.min(aHi, lamMin / 2);
  let a = aLo;
  if (b1 > a) { add('linear', a, b1, degreeFor(rhoReal(a, b1, -lamMin))); a = b1; }
  const b2 = Math.min(aHi, 2 * lamMax);
  if (b2 > a) {
    const s0 = Math.log(a);
    const s1 = Math.log(b2);
    const nPieces = Math.max(1, Math.ceil((s1 - s0) / 4));
    const w = (s1 - s0) / nPieces / 2;
    const r = Math.PI / w;
    const n = degreeFor(r + Math.sqrt(r * r + 1));
    for (let k = 0; k < nPieces; k++) add('log', s0 + ((s1 - s0) * k) / nPieces, s0 + ((s1 - s0) * (k + 1)) / nPieces, n);
    a = b2;
  }
  if (aHi > a) add('inverse', 1 / aHi, 1 / a, degreeFor(rhoReal(1 / aHi, 1 / a, -1 / lamMax)));
  return pieces;
}

function pieceOf(pieces: readonly Piece[], a: number): number {
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    const x = pieceVar(p, a);
    const lo = Math.min(p.lo, p.hi);
    const hi = Math.max(p.lo, p.hi);
    if (x >= lo - 1e-12 * Math.abs(lo) && x <= hi + 1e-12 * Math.abs(hi)) return k;
  }
  throw new RangeError(`banded reduced search: α' = ${a} outside the node grid`);
}

/** Per fold: the base filter of the A-terms (0 on the null space) and of the W-terms, at α'. */
function filters(lambda: Float64Array, isNull: Uint8Array, a: number, hA: Float64Array, hW: Float64Array): void {
  // hA, hW may be longer than lambda (sized for the largest fold); only the first n_a entries are read.
  for (let i = 0; i < lambda.length; i++) {
    const h = 1 / ((isNull[i] ? 0 : lambda[i]) + a);
    hW[i] = h;
    hA[i] = isNull[i] ? 0 : h;
  }
}

/** Number of symmetric pairs (a ≤ b) of q narrow columns. */
const pairs = (q: number) => (q * (q + 1)) / 2;

/**
 * Runs the random search over `gammas` on the reduced space and reports every sample to `sink`
 * (which stops it by its patience rule). `y` holds the outer fold's training targets; fold f's rows
 * are inner[f].train / inner[f].val of y.
 */
export async function reducedGammaSearch(backend: Backend, factors: readonly ReducedFactor[], y: Matrix64, inner: readonly InnerFold[], gammas: readonly Float64Array[], base: number, alphas: readonly number[], sink: SearchSink, opts: { unitBatch?: number; firstChunk?: number; chunk?: number; mode?: 'pairs' | 'direct' } = {}): Promise<void> {
  const kernels = ridgeKernels(backend);
  const nF = factors.length;
  const q = factors[0].q;
  const nA = alphas.length;
  const nUnits = y.cols;
  const allCols = Int32Array.from({ length: nUnits }, (_, j) => j);
  const nulls = factors.map((f) => { const mx = Math.max(...f.lambda); return Uint8Array.from(f.lambda, (l) => (l <= NULL_FRACTION * mx ? 1 : 0)); });
  let lamMin = Infinity;
  let lamMax = 0;
  factors.forEach((f, k) => f.lambda.forEach((l, i) => { if (!nulls[k][i]) { lamMin = Math.min(lamMin, l); lamMax = Math.max(lamMax, l); } }));
  if (!(lamMax > 0)) { lamMin = 1; lamMax = 1; }
  let gMax = 0;
  let gMin = Infinity;
  for (const g of gammas) { gMax = Math.max(gMax, g[base]); gMin = Math.min(gMin, g[base]); }
  const aMin = Math.min(...alphas);
  const aMax = Math.max(...alphas);
  const pieces = alphaPieces(aMin / gMax, Math.max(aMax / gMin, (1.01 * aMin) / gMax), lamMin, lamMax);
  const nodeAlpha: number[] = [];
  for (const p of pieces) p.alpha.forEach((a) => nodeAlpha.push(a));
  const nN = nodeAlpha.length;
  const firstChunk = Math.max(1, opts.firstChunk ?? 51);
  const chunk = Math.max(1, opts.chunk ?? 8);
  if ((opts.mode ?? (q <= REDUCED_PAIR_MAX_Q ? 'pairs' : 'direct')) === 'direct') {
    await directSearch(backend, factors, y, inner, gammas, base, alphas, sink, { pieces, nodeAlpha, nulls, firstChunk, chunk, unitBatch: opts.unitBatch });
    return;
  }

  // ---- Node statistics: E₀ pooled over folds (nN × units), p and m' per fold (nF × nN × 2q × units).
  const e0 = new Float64Array(nN * nUnits);
  const sse0 = new Float64Array(nUnits);
  const pm = new Float64Array(nF * nN * 2 * q * nUnits);
  // The folds' buffers are reused (each is tens of MB: fresh ones would be page-faulted in per fold).
  const ystdBuf = new Float64Array(Math.max(...factors.map((f) => f.na)) * nUnits);
  const vdevBuf = new Float64Array(Math.max(...factors.map((f) => f.ne)) * nUnits);
  const rqBuf = new Float64Array(nN * 2 * q * nUnits);
  const vvBuf = new Float64Array(nN * q * nUnits);
  for (let f = 0; f < nF; f++) {
    const { na, ne } = factors[f];
    const { train, val } = inner[f];
    const { e0Map, mapQ, v0t } = await foldMaps(backend, factors[f], nulls[f], nodeAlpha);
    await searchMapSse(kernels, e0Map, nN, y, train, val, allCols, e0, sse0);
    // Standardised training targets (float64) and validation deviations.
    const ystd = ystdBuf.subarray(0, na * nUnits);
    const { mean, scale } = await kernels.gather(y, train, allCols, ystd);
    const vdev = deviations(y, val, mean, vdevBuf.subarray(0, ne * nUnits));
    const rq = (await backend.gemm({ rows: nN * 2 * q, cols: na, data: mapQ }, { rows: na, cols: nUnits, data: ystd }, { c: { rows: nN * 2 * q, cols: nUnits, data: rqBuf } })).data;
    const vv = (await backend.gemm({ rows: nN * q, cols: ne, data: v0t }, { rows: ne, cols: nUnits, data: vdev }, { c: { rows: nN * q, cols: nUnits, data: vvBuf } })).data;
    writeNodeStats(pm.subarray(f * nN * 2 * q * nUnits, (f + 1) * nN * 2 * q * nUnits), rq, vv, scale, nN, q, nUnits);
  }

  // ---- The search, in chunks of samples; per chunk and piece one GEMM (samples × features).
  const nP = pairs(q);
  const featPerNode = 1 + nF * 2 * nP;
  // Samples per chunk: the first as many as the patience rule needs before it can stop, then small
  // chunks, so that few samples past the stopping point are evaluated.
  const ub = Math.min(nUnits, Math.max(1, opts.unitBatch ?? 2048));
  const logAlpha = alphas.map((a) => 1e-10 * Math.log(a));
  const maxWidth = Math.max(...pieces.map((p) => p.t.length)) * featPerNode;
  const maxT = Math.max(firstChunk, chunk) * nA;
  const featBuf = new Float64Array(maxWidth * ub);
  const partBuf = new Float64Array(maxT * ub);
  const ia = new Int32Array(nP);
  const ib = new Int32Array(nP);
  { let k = 0; for (let a = 0; a < q; a++) for (let b = a; b < q; b++) { ia[k] = a; ib[k] = b; k++; } }
  for (let g0 = 0, g1 = 0; g0 < gammas.length; g0 = g1) {
    g1 = Math.min(gammas.length, g0 + (g0 === 0 ? firstChunk : chunk));
    const nT = (g1 - g0) * nA;
    // Per sample θ = (g, a): its piece, interpolation weights and per-fold coefficients.
    const thetaPiece = new Int32Array(nT);
    const thetaAlpha = new Float64Array(nT);
    for (let g = g0; g < g1; g++) for (let a = 0; a < nA; a++) {
      const t = (g - g0) * nA + a;
      thetaAlpha[t] = alphas[a] / gammas[g][base];
      thetaPiece[t] = pieceOf(pieces, thetaAlpha[t]);
    }
    // coef[t, f, 0..nP) multiplies the PM pair features, [nP..2nP) the MM pair features.
    const coef = new Float64Array(nT * nF * 2 * nP);
    for (let f = 0; f < nF; f++) {
      const st = await sampleMatrices(backend, factors[f], nulls[f], gammas, g0, nA, base, thetaAlpha);
      for (let t = 0; t < nT; t++) {
        const sq = st.subarray(2 * t * q * q, (2 * t + 1) * q * q);
        const tq = st.subarray((2 * t + 1) * q * q, (2 * t + 2) * q * q);
        const dst = (t * nF + f) * 2 * nP;
        for (let k = 0; k < nP; k++) {
          const a = ia[k];
          const b = ib[k];
          // Σ_ab S_ab p_a m_b over the pair's features (p_a m_b + p_b m_a for a < b), and m'ᵀ T m'.
          coef[dst + k] = -2 * sq[a * q + b];
          coef[dst + nP + k] = a === b ? tq[a * q + a] : 2 * tq[a * q + b];
        }
      }
    }
    // Per piece: its samples and their coefficient rows — node j's interpolation weight × (1 for E₀,
    // the pair coefficients for the product features, whose m is stored as μ = α'·m).
    const plan = pieces.map((piece, k) => {
      const ts: number[] = [];
      for (let t = 0; t < nT; t++) if (thetaPiece[t] === k) ts.push(t);
      const nn = piece.t.length;
      const width = nn * featPerNode;
      const cm = new Float64Array(ts.length * width);
      const wts = new Float64Array(nn);
      ts.forEach((t, r) => {
        const a = thetaAlpha[t];
        baryWeights(piece, pieceVar(piece, a), wts);
        const sPM = 1 / a;
        const sMM = sPM * sPM;
        for (let j = 0; j < nn; j++) {
          const row = r * width + j * featPerNode;
          cm[row] = wts[j];
          for (let f = 0; f < nF; f++) {
            const c0 = (t * nF + f) * 2 * nP;
            for (let kk = 0; kk < nP; kk++) {
              cm[row + 1 + f * 2 * nP + kk] = wts[j] * sPM * coef[c0 + kk];
              cm[row + 1 + f * 2 * nP + nP + kk] = wts[j] * sMM * coef[c0 + nP + kk];
            }
          }
        }
      });
      return { piece, ts, nn, width, cm };
    });
    // SSE per (θ, unit) for a block of units, piece by piece.
    const bestScore = new Float64Array((g1 - g0) * nUnits);
    const bestAlpha = new Int32Array((g1 - g0) * nUnits);
    const sseBuf = new Float64Array(nT * ub);
    for (let u0 = 0; u0 < nUnits; u0 += ub) {
      const u1 = Math.min(nUnits, u0 + ub);
      const b = u1 - u0;
      const sse = sseBuf.subarray(0, nT * b);
      for (const { piece, ts, nn, width, cm } of plan) {
        if (ts.length === 0) continue;
        // Features of the piece's nodes for units [u0, u1).
        const feat = featBuf.subarray(0, width * b);
        for (let j = 0; j < nn; j++) {
          const node = piece.first + j;
          const base0 = j * featPerNode;
          feat.set(e0.subarray(node * nUnits + u0, node * nUnits + u1), base0 * b);
          nodeFeatures(feat, pm, node, base0, u0, b, nF, nN, q, nUnits, ia, ib);
        }
        const part = (await backend.gemm({ rows: ts.length, cols: width, data: cm }, { rows: width, cols: b, data: feat }, { c: { rows: ts.length, cols: b, data: partBuf.subarray(0, ts.length * b) } })).data;
        ts.forEach((t, r) => sse.set(part.subarray(r * b, (r + 1) * b), t * b));
      }
      chooseChunk(sse, sse0.subarray(u0, u1), g1 - g0, nA, logAlpha, bestScore, bestAlpha, nUnits, u0);
    }
    if (offerChunk(sink, g0, g1, nUnits, bestAlpha, bestScore)) return;
  }
}

/** One inner fold's node maps (foldMaps). */
interface FoldMaps {
  /** Standardised training targets → validation predictions A H Uᵀ of every node (the E₀ map, nN · ne × na). */
  e0Map: SearchMap;
  /** Per node, float64 rows [V₀ᵀ A H Uᵀ (q) | α'·Wᵀ H Uᵀ (q)] (nN · 2q × na). */
  mapQ: Float64Array;
  /** V₀ᵀ per node (nN · q × ne). */
  v0t: Float64Array;
}

/**
 * Fold f's node maps from standardised training targets (FoldMaps). The E₀ map is the single ridge
 * fit's α-search map of the spectral factor (A with the null space's columns zeroed, H = 1/(λ + α'),
 * Uᵀ) at the node penalties, so it is formed the same way: in a basis of a few filters where that
 * is cheaper (filter-basis.ts; the ~40 node filters of one fold have a low numerical rank).
 */
async function foldMaps(backend: Backend, factor: ReducedFactor, isNull: Uint8Array, nodeAlpha: readonly number[]): Promise<FoldMaps> {
  const { lambda, u, lm, w, ze, na, ne, q } = factor;
  const nN = nodeAlpha.length;
  const hA = new Float64Array(na);
  const hW = new Float64Array(na);
  // The E₀ map: A H Uᵀ with H = 0 on the null space, i.e. A's null columns zeroed (their filter
  // values then multiply zeros, and their zero weights keep them out of the filter basis).
  const left = Float64Array.from(lm);
  for (let i = 0; i < ne; i++) for (let k = 0; k < na; k++) if (isNull[k]) left[i * na + k] = 0;
  const ut = new Float64Array(na * na);
  for (let i = 0; i < na; i++) for (let k = 0; k < na; k++) ut[k * na + i] = u[i * na + k];
  const e0Map = await searchMap(backend, { lambda, left: { rows: ne, cols: na, data: left }, right: { rows: na, cols: na, data: ut }, nFeatures: na }, nodeAlpha);
  // Float64 rows V₀ᵀ A H Uᵀ (q) and α'·Wᵀ H Uᵀ (q) per node. m is interpolated as μ = α'·m: m has a
  // pole at α' = 0 on the base kernel's null space and vanishes like 1/α' for large α', where the
  // narrow bands' coefficients S ~ ρ grow (γ_m → 0); μ is bounded and smooth at both ends, and its
  // coefficients S/α' = R C⁻¹ R/α' stay bounded too.
  // Every row is (something in the eigenbasis) · Uᵀ: build them all, then one GEMM. Per node j,
  // rows [V₀ᵀ A H (q) | α' (H W)ᵀ (q)], with V₀ = Z_e − A H W (kept, transposed, for V₀ᵀ v).
  const per = 2 * q;
  const pre = new Float64Array(nN * per * na);
  const v0t = new Float64Array(nN * q * ne);
  const ah = new Float64Array(ne * na);
  for (let j = 0; j < nN; j++) {
    filters(lambda, isNull, nodeAlpha[j], hA, hW);
    nodeRows(pre, ah, j, lm, w, hA, hW, nodeAlpha[j], ne, na, q);
    // V₀ = Z_e − (A H) W (ne × q), then rows V₀ᵀ (A H) (q × na) into the block.
    const ahw = (await backend.gemm({ rows: ne, cols: na, data: ah }, { rows: na, cols: q, data: w })).data;
    const v0 = v0t.subarray(j * q * ne, (j + 1) * q * ne);
    for (let i = 0; i < ne; i++) for (let c = 0; c < q; c++) v0[c * ne + i] = ze[i * q + c] - ahw[i * q + c];
    pre.set((await backend.gemm({ rows: q, cols: ne, data: v0 }, { rows: ne, cols: na, data: ah })).data, j * per * na);
  }
  const mapQ = (await backend.gemm({ rows: nN * per, cols: na, data: pre }, { rows: na, cols: na, data: u }, { transB: true })).data;
  return { e0Map, mapQ, v0t };
}

/**
 * Per sample θ = (g, a) of a chunk (t = (g − g0)·nA + a, α'_θ = thetaAlpha[t]) and one fold: S and
 * T = S G S (q × q each, G = V₀ᵀV₀), as out[(2t)·q² …] and out[(2t + 1)·q² …].
 */
async function sampleMatrices(backend: Backend, factor: ReducedFactor, isNull: Uint8Array, gammas: readonly Float64Array[], g0: number, nA: number, base: number, thetaAlpha: Float64Array): Promise<Float64Array> {
  const { lambda, lm, w, ze, na, ne, zBand, q } = factor;
  const nT = thetaAlpha.length;
  const out = new Float64Array(2 * nT * q * q);
  // Filters per θ (rows of hAll: A-filter, of hwAll: W-filter), then by GEMMs over all θ:
  // Wᵀ H_θ W = Σ_k h_θk w_k w_kᵀ (hwAll · [w_k w_kᵀ]_k) and A H_θ W = Σ_k h_θk (a_k w_kᵀ)
  // (hAll · [A_ik W_kc]_(i,c)ᵀ, row θ = the ne × q block of θ).
  const hAll = new Float64Array(nT * na);
  const hwAll = new Float64Array(nT * na);
  for (let t = 0; t < nT; t++) filters(lambda, isNull, thetaAlpha[t], hAll.subarray(t * na, (t + 1) * na), hwAll.subarray(t * na, (t + 1) * na));
  const outer = new Float64Array(na * q * q);
  const lw = new Float64Array(ne * q * na);
  outerRows(outer, lw, lm, w, na, ne, q);
  const wtw = (await backend.gemm({ rows: nT, cols: na, data: hwAll }, { rows: na, cols: q * q, data: outer })).data;
  const ahw = (await backend.gemm({ rows: nT, cols: na, data: hAll }, { rows: ne * q, cols: na, data: lw }, { transB: true })).data;
  const mq = new Float64Array(q * q);
  const gq = new Float64Array(q * q);
  for (let t = 0; t < nT; t++) {
    const g = g0 + Math.floor(t / nA);
    const gm = gammas[g][base];
    const sq = out.subarray(2 * t * q * q, (2 * t + 1) * q * q);
    const tq = out.subarray((2 * t + 1) * q * q, (2 * t + 2) * q * q);
    // G = V₀ᵀ V₀, V₀ = Z_e − A H W.
    gramV0(gq, ze, ahw.subarray(t * ne * q, (t + 1) * ne * q), ne, q);
    // S = R (I + R WᵀHW R)⁻¹ R.
    const rs = Float64Array.from(zBand, (b) => Math.sqrt(gammas[g][b] / gm));
    for (let c = 0; c < q; c++) for (let d = 0; d <= c; d++) {
      const v = rs[c] * wtw[t * q * q + c * q + d] * rs[d] + (c === d ? 1 : 0);
      mq[c * q + d] = v;
      mq[d * q + c] = v;
    }
    invertSpd(mq, q, sq);
    for (let c = 0; c < q; c++) for (let d = 0; d < q; d++) sq[c * q + d] *= rs[c] * rs[d];
    // T = S G S.
    symTriple(sq, gq, tq, q);
  }
  return out;
}

/** T = S G S for q × q S, G (O(q³): S G first, then times S). */
function symTriple(sq: Float64Array, gq: Float64Array, tq: Float64Array, q: number): void {
  const sg = new Float64Array(q * q);
  for (let c = 0; c < q; c++) for (let l = 0; l < q; l++) {
    let s = 0;
    for (let k = 0; k < q; k++) s += sq[c * q + k] * gq[k * q + l];
    sg[c * q + l] = s;
  }
  for (let c = 0; c < q; c++) for (let d = 0; d < q; d++) {
    let s = 0;
    for (let l = 0; l < q; l++) s += sg[c * q + l] * sq[l * q + d];
    tq[c * q + d] = s;
  }
}

/**
 * The reduced search's direct evaluation (any q): per chunk of samples, unit batch and inner fold,
 * the fold's node statistics p and μ = α'·m' (nN × 2q × units) are interpolated at every sample's
 * α' (per piece one GEMM: barycentric weights × the piece's node statistics), then per sample
 * θ and fold, with K = S/α' and L = S G S/α'² (q × q, the same for every unit),
 *   SSE_θ += −2 pᵀ K μ + μᵀ L μ        (one GEMM [K; L] · μ per θ and fold),
 * and SSE_θ += E₀(α'_θ) pooled over folds. The same quantity as the pair features, without their
 * q(q+1)/2 products per node and fold. Node statistics are kept across chunks when they fit
 * DIRECT_KEEP_BYTES, else recomputed per chunk (fold by fold, per unit batch).
 */
async function directSearch(backend: Backend, factors: readonly ReducedFactor[], y: Matrix64, inner: readonly InnerFold[], gammas: readonly Float64Array[], base: number, alphas: readonly number[], sink: SearchSink, ctx: { pieces: Piece[]; nodeAlpha: readonly number[]; nulls: Uint8Array[]; firstChunk: number; chunk: number; unitBatch?: number }): Promise<void> {
  const { pieces, nodeAlpha, nulls, firstChunk, chunk } = ctx;
  const kernels = ridgeKernels(backend);
  const nF = factors.length;
  const q = factors[0].q;
  const nA = alphas.length;
  const nUnits = y.cols;
  const nN = nodeAlpha.length;
  const maps: FoldMaps[] = [];
  for (let f = 0; f < nF; f++) maps.push(await foldMaps(backend, factors[f], nulls[f], nodeAlpha));
  const ub = Math.min(nUnits, Math.max(1, ctx.unitBatch ?? 1024));
  const keep = (nN + 1 + nF * nN * 2 * q) * nUnits * 8 <= DIRECT_KEEP_BYTES;
  const cache = new Map<string, Float64Array>();
  /** E₀ (nN × b, pooled over folds) and sse0 (b) of units [u0, u1). */
  const pooled = async (u0: number, u1: number): Promise<Float64Array> => {
    const key = `e0:${u0}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const b = u1 - u0;
    const cols = Int32Array.from({ length: b }, (_, j) => u0 + j);
    const out = new Float64Array((nN + 1) * b);
    const e0 = out.subarray(0, nN * b);
    const sse0 = out.subarray(nN * b);
    for (let f = 0; f < nF; f++) await searchMapSse(kernels, maps[f].e0Map, nN, y, inner[f].train, inner[f].val, cols, e0, sse0);
    if (keep) cache.set(key, out);
    return out;
  };
  /** Fold f's p and μ (nN × 2q × b) of units [u0, u1). */
  const foldStats = async (f: number, u0: number, u1: number): Promise<Float64Array> => {
    const key = `${f}:${u0}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const b = u1 - u0;
    const { na, ne } = factors[f];
    const cols = Int32Array.from({ length: b }, (_, j) => u0 + j);
    const ystd = new Float64Array(na * b);
    const { mean, scale } = await kernels.gather(y, inner[f].train, cols, ystd);
    const vdev = deviationsCols(y, inner[f].val, mean, u0, b);
    const rq = (await backend.gemm({ rows: nN * 2 * q, cols: na, data: maps[f].mapQ }, { rows: na, cols: b, data: ystd })).data;
    const vv = (await backend.gemm({ rows: nN * q, cols: ne, data: maps[f].v0t }, { rows: ne, cols: b, data: vdev })).data;
    const out = new Float64Array(nN * 2 * q * b);
    writeNodeStats(out, rq, vv, scale, nN, q, b);
    if (keep) cache.set(key, out);
    return out;
  };
  const logAlpha = alphas.map((a) => 1e-10 * Math.log(a));
  /** Samples per interpolation GEMM (bounds its output, group × 2q × units). */
  const group = 32;
  // Outputs of the per-group and per-sample products, allocated once: a fresh buffer per call (tens
  // of thousands of calls per fold) costs more in page faults than the products themselves.
  const eBuf = new Float64Array(group * ub);
  const ipBuf = new Float64Array(group * 2 * q * ub);
  const cBuf = new Float64Array(2 * q * ub);
  let sseBuf = new Float64Array(0);
  for (let g0 = 0, g1 = 0; g0 < gammas.length; g0 = g1) {
    g1 = Math.min(gammas.length, g0 + (g0 === 0 ? firstChunk : chunk));
    const nT = (g1 - g0) * nA;
    const thetaPiece = new Int32Array(nT);
    const thetaAlpha = new Float64Array(nT);
    for (let g = g0; g < g1; g++) for (let a = 0; a < nA; a++) {
      const t = (g - g0) * nA + a;
      thetaAlpha[t] = alphas[a] / gammas[g][base];
      thetaPiece[t] = pieceOf(pieces, thetaAlpha[t]);
    }
    // [K; L] per (θ, fold): 2q × q, K = S/α', L = S G S/α'² (μ = α'·m').
    const kl: Float64Array[] = [];
    for (let f = 0; f < nF; f++) {
      const st = await sampleMatrices(backend, factors[f], nulls[f], gammas, g0, nA, base, thetaAlpha);
      for (let t = 0; t < nT; t++) {
        const sPM = 1 / thetaAlpha[t];
        const blk = st.subarray(2 * t * q * q, (2 * t + 2) * q * q);
        for (let k = 0; k < q * q; k++) { blk[k] *= sPM; blk[q * q + k] *= sPM * sPM; }
      }
      kl.push(st);
    }
    // Per piece: its samples (in groups) and their barycentric weights (rows × nodes of the piece).
    const plan: { piece: Piece; ts: number[]; wts: Float64Array }[] = [];
    pieces.forEach((piece, k) => {
      const all: number[] = [];
      for (let t = 0; t < nT; t++) if (thetaPiece[t] === k) all.push(t);
      const nn = piece.t.length;
      const row = new Float64Array(nn);
      for (let s0 = 0; s0 < all.length; s0 += group) {
        const ts = all.slice(s0, s0 + group);
        const wts = new Float64Array(ts.length * nn);
        ts.forEach((t, r) => { baryWeights(piece, pieceVar(piece, thetaAlpha[t]), row); wts.set(row, r * nn); });
        plan.push({ piece, ts, wts });
      }
    });
    const bestScore = new Float64Array((g1 - g0) * nUnits);
    const bestAlpha = new Int32Array((g1 - g0) * nUnits);
    for (let u0 = 0; u0 < nUnits; u0 += ub) {
      const u1 = Math.min(nUnits, u0 + ub);
      const b = u1 - u0;
      if (sseBuf.length < nT * b) sseBuf = new Float64Array(nT * b);
      const sse = sseBuf.subarray(0, nT * b);
      sse.fill(0);
      const e0s = await pooled(u0, u1);
      for (const { piece, ts, wts } of plan) {
        const nn = piece.t.length;
        const e = (await backend.gemm({ rows: ts.length, cols: nn, data: wts }, { rows: nn, cols: b, data: e0s.subarray(piece.first * b, (piece.first + nn) * b) }, { c: { rows: ts.length, cols: b, data: eBuf.subarray(0, ts.length * b) } })).data;
        ts.forEach((t, r) => { for (let j = 0; j < b; j++) sse[t * b + j] += e[r * b + j]; });
      }
      for (let f = 0; f < nF; f++) {
        const pm = await foldStats(f, u0, u1);
        for (const { piece, ts, wts } of plan) {
          const nn = piece.t.length;
          const w2 = 2 * q * b;
          // p and μ at every sample of the group: (group × nn) · (nn × 2q·b).
          const ip = (await backend.gemm({ rows: ts.length, cols: nn, data: wts }, { rows: nn, cols: w2, data: pm.subarray(piece.first * w2, (piece.first + nn) * w2) }, { c: { rows: ts.length, cols: w2, data: ipBuf.subarray(0, ts.length * w2) } })).data;
          // These small products (tens of thousands per fold) run on one BLAS thread: on two, the
          // hand-offs cost more than they save (one 1+8+8 | 1600 outer fold, 13,500 units, quiet
          // machine: 20.4 s → 18.7 s; beside another job 64.6 s → 34.0 s).
          const threads = backend.getThreads();
          backend.setThreads(1);
          try {
            for (let r = 0; r < ts.length; r++) {
              const t = ts[r];
              const mu = ip.subarray(r * w2 + q * b, (r + 1) * w2);
              const c = (await backend.gemm({ rows: 2 * q, cols: q, data: kl[f].subarray(2 * t * q * q, (2 * t + 2) * q * q) }, { rows: q, cols: b, data: mu }, { c: { rows: 2 * q, cols: b, data: cBuf.subarray(0, 2 * q * b) } })).data;
              quadAccumulate(sse, t * b, ip, r * w2, c, q, b);
            }
          } finally {
            backend.setThreads(threads);
          }
        }
      }
      chooseChunk(sse, e0s.subarray(nN * b), g1 - g0, nA, logAlpha, bestScore, bestAlpha, nUnits, u0);
    }
    if (offerChunk(sink, g0, g1, nUnits, bestAlpha, bestScore)) return;
  }
}

/**
 * sse[at + j] += Σ_c −2 p_c,j (Kμ)_c,j + μ_c,j (Lμ)_c,j for one sample: p, μ at ip[off …] (q × b
 * each, p first), c = [K; L]·μ (2q × b).
 */
function quadAccumulate(sse: Float64Array, at: number, ip: Float64Array, off: number, c: Float64Array, q: number, b: number): void {
  for (let k = 0; k < q; k++) {
    const p = off + k * b;
    const m = off + (q + k) * b;
    const ck = k * b;
    const cl = (q + k) * b;
    for (let j = 0; j < b; j++) sse[at + j] += ip[m + j] * c[cl + j] - 2 * ip[p + j] * c[ck + j];
  }
}

/** Validation targets minus the training mean for units [u0, u0 + b): ne × b. */
function deviationsCols(y: Matrix64, val: Int32Array, mean: Float64Array, u0: number, b: number): Float64Array {
  const n = y.cols;
  const out = new Float64Array(val.length * b);
  for (let i = 0; i < val.length; i++) {
    const src = val[i] * n + u0;
    for (let j = 0; j < b; j++) out[i * b + j] = y.data[src + j] - mean[j];
  }
  return out;
}

/*
 * Hot loops as small synchronous functions (V8 optimises them far better than the same loops
 * inside the long async search).
 */

/**
 * Node j's rows: A H into ah (ne × na) and α'·(H W)ᵀ into pre's block j (rows q … 2q of 2q; rows
 * 0 … q, V₀ᵀ A H, are left to the caller).
 */
function nodeRows(pre: Float64Array, ah: Float64Array, j: number, lm: Float64Array, w: Float64Array, hA: Float64Array, hW: Float64Array, alpha: number, ne: number, na: number, q: number): void {
  for (let i = 0; i < ne; i++) {
    const row = i * na;
    for (let k = 0; k < na; k++) ah[row + k] = lm[row + k] * hA[k];
  }
  const base = j * 2 * q * na;
  for (let c = 0; c < q; c++) {
    const dstM = base + (q + c) * na;
    for (let k = 0; k < na; k++) pre[dstM + k] = alpha * hW[k] * w[k * q + c];
  }
}

/** Validation targets minus the training mean: ne × units. */
function deviations(y: Matrix64, val: Int32Array, mean: Float64Array, out = new Float64Array(val.length * y.cols)): Float64Array {
  const n = y.cols;
  for (let i = 0; i < val.length; i++) {
    const src = val[i] * n;
    const dst = i * n;
    for (let j = 0; j < n; j++) out[dst + j] = y.data[src + j] - mean[j];
  }
  return out;
}

/** p = V₀ᵀ v − scale·(V₀ᵀ A H Ỹ) and m' = scale·(α' Wᵀ H Ỹ) per node, into out (nN × 2q × units). */
function writeNodeStats(out: Float64Array, rq: Float64Array, vv: Float64Array, scale: Float64Array, nN: number, q: number, nUnits: number): void {
  for (let j = 0; j < nN; j++) {
    for (let c = 0; c < q; c++) {
      const pRow = (j * 2 * q + c) * nUnits;
      const mRow = (j * 2 * q + q + c) * nUnits;
      const vRow = (j * q + c) * nUnits;
      for (let t = 0; t < nUnits; t++) {
        out[pRow + t] = vv[vRow + t] - scale[t] * rq[pRow + t];
        out[mRow + t] = scale[t] * rq[mRow + t];
      }
    }
  }
}

/**
 * Product features of one node for units [u0, u0 + b) into feat (rows base0 + 1 …): per fold and
 * pair (a ≤ b) p_a m_b (+ p_b m_a when a ≠ b), then m_a m_b. pm holds fold f's node stats at
 * src(f) = (f · nN + node) · 2q · nUnits.
 */
function nodeFeatures(feat: Float64Array, pm: Float64Array, node: number, base0: number, u0: number, b: number, nF: number, nN: number, q: number, nUnits: number, ia: Int32Array, ib: Int32Array): void {
  const nP = ia.length;
  for (let f = 0; f < nF; f++) {
    const src = (f * nN + node) * 2 * q * nUnits;
    for (let kk = 0; kk < nP; kk++) {
      const a = ia[kk];
      const bb = ib[kk];
      const pa = src + a * nUnits + u0;
      const pb = src + bb * nUnits + u0;
      const ma = src + (q + a) * nUnits + u0;
      const mb = src + (q + bb) * nUnits + u0;
      const rowPM = (base0 + 1 + f * 2 * nP + kk) * b;
      const rowMM = (base0 + 1 + f * 2 * nP + nP + kk) * b;
      if (a === bb) {
        for (let t = 0; t < b; t++) { feat[rowPM + t] = pm[pa + t] * pm[ma + t]; feat[rowMM + t] = pm[ma + t] * pm[ma + t]; }
      } else {
        for (let t = 0; t < b; t++) { feat[rowPM + t] = pm[pa + t] * pm[mb + t] + pm[pb + t] * pm[ma + t]; feat[rowMM + t] = pm[ma + t] * pm[mb + t]; }
      }
    }
  }
}

/** outer[k, c·q + d] = W_kc W_kd (na × q²) and lw[i·q + c, k] = A_ik W_kc (ne·q × na). */
function outerRows(outer: Float64Array, lw: Float64Array, lm: Float64Array, w: Float64Array, na: number, ne: number, q: number): void {
  for (let k = 0; k < na; k++) for (let c = 0; c < q; c++) for (let d = 0; d < q; d++) outer[k * q * q + c * q + d] = w[k * q + c] * w[k * q + d];
  for (let i = 0; i < ne; i++) for (let c = 0; c < q; c++) {
    const row = (i * q + c) * na;
    for (let k = 0; k < na; k++) lw[row + k] = lm[i * na + k] * w[k * q + c];
  }
}

/** G = V₀ᵀ V₀ (q × q) for θ, V₀ = Z_e − A H W with A H W of θ in y (ne × q). */
function gramV0(gq: Float64Array, ze: Float64Array, y: Float64Array, ne: number, q: number): void {
  gq.fill(0);
  const v = new Float64Array(q);
  for (let i = 0; i < ne; i++) {
    for (let c = 0; c < q; c++) v[c] = ze[i * q + c] - y[i * q + c];
    for (let c = 0; c < q; c++) {
      const vc = v[c];
      for (let d = 0; d <= c; d++) gq[c * q + d] += vc * v[d];
    }
  }
  for (let c = 0; c < q; c++) for (let d = 0; d < c; d++) gq[d * q + c] = gq[c * q + d];
}

/** out = m⁻¹ for a small SPD q × q matrix (Cholesky; m is overwritten). */
function invertSpd(m: Float64Array, q: number, out: Float64Array): void {
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
  const col = new Float64Array(q);
  for (let c = 0; c < q; c++) {
    col.fill(0);
    col[c] = 1;
    for (let i = 0; i < q; i++) {
      let s = col[i];
      for (let k = 0; k < i; k++) s -= m[i * q + k] * col[k];
      col[i] = s / m[i * q + i];
    }
    for (let i = q - 1; i >= 0; i--) {
      let s = col[i];
      for (let k = i + 1; k < q; k++) s -= m[k * q + i] * col[k];
      col[i] = s / m[i * q + i];
    }
    for (let i = 0; i < q; i++) out[i * q + c] = col[i];
  }
}

/**
 * Per sample of a chunk and unit j of a block starting at unit u0: the best penalty by
 * chooseAlphas' rule (pooled R² = 1 − SSE/SSE₀, ties to the larger α) and its R². sse holds
 * (sample · nA + α) rows of b = sse0.length units; results go to bestScore/bestAlpha at
 * (sample · nUnits + u0 + j).
 */
function chooseChunk(sse: Float64Array, sse0: Float64Array, nG: number, nA: number, logAlpha: readonly number[], bestScore: Float64Array, bestAlpha: Int32Array, nUnits: number, u0: number): void {
  const b = sse0.length;
  for (let g = 0; g < nG; g++) {
    for (let j = 0; j < b; j++) {
      const s0 = sse0[j];
      let best = -Infinity;
      let bestA = 0;
      let bestS = 0;
      for (let a = 0; a < nA; a++) {
        const s = s0 > 0 ? 1 - sse[(g * nA + a) * b + j] / s0 : 0;
        const keyed = s + logAlpha[a];
        if (keyed > best) { best = keyed; bestA = a; bestS = s; }
      }
      bestScore[g * nUnits + u0 + j] = bestS;
      bestAlpha[g * nUnits + u0 + j] = bestA;
    }
  }
}

/** Offers samples [g0, g1) of a chunk to the sink in order; true when its patience rule stopped the search. */
function offerChunk(sink: SearchSink, g0: number, g1: number, nUnits: number, bestAlpha: Int32Array, bestScore: Float64Array): boolean {
  for (let g = g0; g < g1; g++) {
    sink.offer(g, 0, bestAlpha.subarray((g - g0) * nUnits, (g - g0 + 1) * nUnits), bestScore.subarray((g - g0) * nUnits, (g - g0 + 1) * nUnits));
    if (sink.done(g)) return true;
  }
  return false;
}
