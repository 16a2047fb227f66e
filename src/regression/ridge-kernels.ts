/**
 * The two data-heavy steps of the ridge α search, on the native addon when it has them
 * (native/ridge_kernels.c: one call on the thread pool each, no JavaScript loop over targets) and in
 * TypeScript otherwise, with the same numbers:
 *
 * - `gather`: rows × columns of y standardised per column in float64 (mean, max-abs scale), written
 *   as float32 or float64 — y itself is never copied per fold;
 * - `innerSse`: one inner fold's validation squared errors of every penalty, accumulated per unit,
 *   from a precomputed float32 map (training targets → validation predictions of all penalties);
 * - `innerSseBasis`: the same from the maps of a few basis filters and each penalty's combination
 *   of them (filter-basis.ts: fewer multiply-adds per unit); `innerSseGroups` for several groups of
 *   maps sharing one gather (banded ridge's band-weight samples).
 *
 * And, native only (native/search_maps.c), `kernelMaps`: banded kernel ridge's α-search maps of a
 * chunk of band-weight samples in one call (banded.ts builds the same in TypeScript otherwise).
 */
import type { Backend } from '../linalg/backend.js';
import type { Matrix32, Matrix64 } from '../linalg/matrix.js';
import { FILTER_BASIS_TOL } from './filter-basis.js';

/** Per-unit centring and scaling of a target gather (float64, one value per gathered column). */
export interface TargetScaling {
  /** Mean of each unit over the gathered rows (the ridge intercept). */
  mean: Float64Array;
  /**
   * max |y − mean| over the gathered rows; 0 where the unit is constant there to float64 rounding
   * (spread ≤ 64·ε₆₄·|mean|), whose standardised values are then written as 0.
   */
  scale: Float64Array;
}

/** Spread at or below this multiple of |mean| is float64 rounding of a constant (ε₆₄ = 2⁻⁵²). */
const ROUNDING_SPREAD = 64 * 2.220446049250313e-16;

/** Units per block of `innerSse` (its float32 predictions, n_alphas · n_val × block, stay in cache). */
const SSE_BLOCK = 256;

interface RidgeAddon {
  ridgeGather(y: Float64Array, ldy: number, rows: Int32Array, cols: Int32Array, out: Float32Array | Float64Array, mean: Float64Array, scale: Float64Array): Promise<void>;
  ridgeInnerSse(s: Float32Array, nA: number, y: Float64Array, ldy: number, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array, block: number): Promise<void>;
  /** Absent from addons built before it (then innerSseBasis runs in TypeScript). */
  ridgeInnerSseBasis?(s: Float32Array, nB: number, coef: Float32Array, nA: number, y: Float64Array, ldy: number, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array, block: number): Promise<void>;
  /** Absent from addons built before it (then banded.ts builds the maps in TypeScript). */
  ridgeKernelMaps?(ktrain: Float64Array, kcross: Float64Array, B: number, n: number, nv: number, gammas: Float64Array, alphas: Float64Array, tol: number, s: Float32Array, nB: Int32Array, coef: Float32Array, threads: number): Promise<void>;
  /** Absent from addons built before it (then innerSseGroups runs one innerSseBasis per group). */
  ridgeInnerSseGroups?(s: Float32Array, nB: Int32Array, coef: Float32Array, nA: number, y: Float64Array, ldy: number, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array, block: number, threads: number): Promise<void>;
}

/**
 * Several groups of basis maps over the same inner fold (banded ridge: one group per band-weight
 * sample): `s` ((Σ nB[g] · n_val) × n_a) holds group 0's nB[0] basis maps, then group 1's, …;
 * `coef` each group's n_alphas × nB[g] combination, concatenated.
 */
export interface MapGroups {
  s: Matrix32;
  nB: Int32Array;
  coef: Float32Array;
  nA: number;
}

export interface RidgeKernels {
  /** 'native' when the addon runs them, else 'typescript'. */
  readonly kind: 'native' | 'typescript';
  /**
   * out (rows.length × cols.length, row-major) = (y[rows, cols] − mean)/scale per column, in
   * float64 then rounded to out's precision; mean and max-abs scale over those rows (scale 0 and
   * values 0 for a column constant to rounding).
   */
  gather(y: Matrix64, rows: Int32Array, cols: Int32Array, out: Float32Array | Float64Array): Promise<TargetScaling>;
  /**
   * One inner fold, units `cols` (b of them): Z = gather(y, train, cols) in float32, P = s · Z with
   * s ((nA · nv) × na, block a = penalty a), and in the units of y
   *   sse[a · b + j] += Σ_i (y[val_i, cols_j] − mean_j − scale_j · P[a · nv + i, j])²,
   *   sse0[j]        += Σ_i (y[val_i, cols_j] − mean_j)².
   */
  innerSse(s: Matrix32, nA: number, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array): Promise<void>;
  /**
   * innerSse with the penalties' maps in a basis (filter-basis.ts): s ((nB · nv) × na, block j =
   * basis map j) and coef (nA × nB, float32, penalty a's map = Σ_j coef[a, j] · block j):
   * Q = s · Z, P = coef · Q (Q as nB × (nv · b)), then innerSse's error sums of P.
   */
  innerSseBasis(s: Matrix32, coef: Matrix32, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array): Promise<void>;
  /**
   * innerSseBasis for every group of `groups` with one gather of the training targets: group g's
   * sums go to sse[(g · nA + a) · b + j] (sse is (G · nA) × b), sse0 once. Native: the unit blocks
   * run on `threads` threads, one BLAS thread each.
   */
  innerSseGroups(groups: MapGroups, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array, threads: number): Promise<void>;
  /**
   * Native only (undefined otherwise: build them with banded.ts's kernelFactors, ridge.ts's searchMap
   * and stackSearchMaps, which give the same maps): the stacked α-search maps of banded kernel ridge
   * for band-weight samples `gammas` on one (train, val) pair, from each band's training kernel
   * K_b (n × n) and cross kernel C_b (n_val × n) — per sample K(γ) = Σ γ_b K_b = U Λ Uᵀ,
   * L = (Σ γ_b C_b) U, the filters' basis (filter-basis.ts, FILTER_BASIS_TOL) and its maps
   * (L diag Φ_j) Uᵀ formed in float64, or every penalty's map where that is cheaper; one sample per
   * thread at a time.
   */
  kernelMaps?(train: readonly Matrix64[], cross: readonly Matrix64[], gammas: readonly Float64Array[], alphas: readonly number[], threads: number): Promise<MapGroups>;
}

function nativeAddon(backend: Backend): RidgeAddon | null {
  if (backend.name !== 'native' || !('addon' in backend)) return null;
  const addon = (backend as { addon: unknown }).addon as Partial<RidgeAddon> | null;
  return addon && typeof addon.ridgeGather === 'function' && typeof addon.ridgeInnerSse === 'function' ? (addon as RidgeAddon) : null;
}

/** The kernels for `backend` (native where its addon has them; addons built before them use TypeScript). */
export function ridgeKernels(backend: Backend): RidgeKernels {
  const addon = nativeAddon(backend);
  if (addon) {
    const gather: RidgeKernels['gather'] = async (y, rows, cols, out) => {
      const mean = new Float64Array(cols.length);
      const scale = new Float64Array(cols.length);
      await addon.ridgeGather(y.data, y.cols, rows, cols, out.subarray(0, rows.length * cols.length), mean, scale);
      return { mean, scale };
    };
    const basis = addon.ridgeInnerSseBasis?.bind(addon);
    const groups = addon.ridgeInnerSseGroups?.bind(addon);
    const innerSseBasis: RidgeKernels['innerSseBasis'] = basis
      ? (s, coef, y, train, val, cols, sse, sse0) => basis(s.data, coef.cols, coef.data, coef.rows, y.data, y.cols, train, val, cols, sse, sse0, SSE_BLOCK)
      : (s, coef, y, train, val, cols, sse, sse0) => innerSseTs(backend, gather, s, coef, y, train, val, cols, sse, sse0);
    const maps = addon.ridgeKernelMaps?.bind(addon);
    return {
      kind: 'native',
      kernelMaps: maps && ((train, cross, gammas, alphas, threads) => kernelMapsNative(maps, train, cross, gammas, alphas, threads)),
      gather,
      innerSse: (s, nA, y, train, val, cols, sse, sse0) => addon.ridgeInnerSse(s.data, nA, y.data, y.cols, train, val, cols, sse, sse0, SSE_BLOCK),
      innerSseBasis,
      innerSseGroups: groups
        ? (g, y, train, val, cols, sse, sse0, threads) => groups(g.s.data, g.nB, g.coef, g.nA, y.data, y.cols, train, val, cols, sse, sse0, SSE_BLOCK, threads)
        : (g, y, train, val, cols, sse, sse0) => innerSsePerGroup(innerSseBasis, g, y, train, val, cols, sse, sse0),
    };
  }
  const gather: RidgeKernels['gather'] = (y, rows, cols, out) => Promise.resolve(gatherColumns(y, rows, cols, out));
  const innerSseBasis: RidgeKernels['innerSseBasis'] = (s, coef, y, train, val, cols, sse, sse0) => innerSseTs(backend, gather, s, coef, y, train, val, cols, sse, sse0);
  return {
    kind: 'typescript',
    gather,
    innerSse: (s, nA, y, train, val, cols, sse, sse0) => innerSseTs(backend, gather, s, nA, y, train, val, cols, sse, sse0),
    innerSseBasis,
    innerSseGroups: (g, y, train, val, cols, sse, sse0) => innerSsePerGroup(innerSseBasis, g, y, train, val, cols, sse, sse0),
  };
}

async function kernelMapsNative(maps: NonNullable<RidgeAddon['ridgeKernelMaps']>, train: readonly Matrix64[], cross: readonly Matrix64[], gammas: readonly Float64Array[], alphas: readonly number[], threads: number): Promise<MapGroups> {
  const B = train.length;
  const n = train[0].rows;
  const nv = cross[0].rows;
  const nA = alphas.length;
  const G = gammas.length;
  const ktrain = new Float64Array(B * n * n);
  const kcross = new Float64Array(B * nv * n);
  for (let b = 0; b < B; b++) {
    if (train[b].rows !== n || train[b].cols !== n || cross[b].rows !== nv || cross[b].cols !== n) throw new RangeError(`kernelMaps: band ${b} has kernels ${train[b].rows} × ${train[b].cols} and ${cross[b].rows} × ${cross[b].cols}, expected ${n} × ${n} and ${nv} × ${n}`);
    ktrain.set(train[b].data, b * n * n);
    kcross.set(cross[b].data, b * nv * n);
  }
  const g = new Float64Array(G * B);
  gammas.forEach((gamma, i) => g.set(gamma, i * B));
  const s = new Float32Array(G * nA * nv * n);
  const nB = new Int32Array(G);
  const coef = new Float32Array(G * nA * nA);
  await maps(ktrain, kcross, B, n, nv, g, Float64Array.from(alphas), FILTER_BASIS_TOL, s, nB, coef, threads);
  const total = nB.reduce((a, v) => a + v, 0);
  return { s: { rows: total * nv, cols: n, data: s.subarray(0, total * nv * n) }, nB, coef: coef.subarray(0, nA * total), nA };
}

/** innerSseGroups as one innerSseBasis call per group (each gathers the targets again). */
async function innerSsePerGroup(innerSseBasis: RidgeKernels['innerSseBasis'], g: MapGroups, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array): Promise<void> {
  const b = cols.length;
  const nv = val.length;
  const na = train.length;
  let row = 0;
  let off = 0;
  for (let gi = 0; gi < g.nB.length; gi++) {
    const nB = g.nB[gi];
    const s = { rows: nB * nv, cols: na, data: g.s.data.subarray(row * na, (row + nB * nv) * na) };
    const coef = { rows: g.nA, cols: nB, data: g.coef.subarray(off, off + g.nA * nB) };
    const part = sse.subarray(gi * g.nA * b, (gi + 1) * g.nA * b);
    // sse0 is the same for every group: accumulate it once.
    await innerSseBasis(s, coef, y, train, val, cols, part, gi === 0 ? sse0 : new Float64Array(b));
    row += nB * nv;
    off += g.nA * nB;
  }
}

/**
 * The TypeScript innerSse (`maps` = nA: s holds every penalty's map) and innerSseBasis (`maps` =
 * coef: s holds coef.cols basis maps, combined per penalty by coef) — see RidgeKernels.
 */
async function innerSseTs(backend: Backend, gather: RidgeKernels['gather'], s: Matrix32, maps: number | Matrix32, y: Matrix64, train: Int32Array, val: Int32Array, cols: Int32Array, sse: Float64Array, sse0: Float64Array): Promise<void> {
  const b = cols.length;
  const na = train.length;
  const nv = val.length;
  const nA = typeof maps === 'number' ? maps : maps.rows;
  const nS = typeof maps === 'number' ? maps : maps.cols;
  if (s.rows !== nS * nv || s.cols !== na) throw new RangeError(`innerSse: s is ${s.rows} × ${s.cols}, expected ${nS * nv} × ${na}`);
  const z = new Float32Array(na * b);
  const { mean, scale } = await gather(y, train, cols, z);
  let P = (await backend.gemm(s, { rows: na, cols: b, data: z })).data;
  if (typeof maps !== 'number') P = (await backend.gemm(maps, { rows: nS, cols: nv * b, data: P })).data;
  const yv = new Float64Array(nv * b);
  for (let i = 0; i < nv; i++) {
    const src = val[i] * y.cols;
    for (let j = 0; j < b; j++) {
      const v = y.data[src + cols[j]] - mean[j];
      yv[i * b + j] = v;
      sse0[j] += v * v;
    }
  }
  for (let a = 0; a < nA; a++) {
    for (let i = 0; i < nv; i++) {
      const prow = (a * nv + i) * b;
      for (let j = 0; j < b; j++) {
        const d = yv[i * b + j] - scale[j] * P[prow + j];
        sse[a * b + j] += d * d;
      }
    }
  }
}

/** The TypeScript `gather` (see RidgeKernels.gather). */
export function gatherColumns(y: Matrix64, rows: ArrayLike<number>, cols: ArrayLike<number>, out: Float32Array | Float64Array): TargetScaling {
  const b = cols.length;
  const ld = y.cols;
  const d = y.data;
  const mean = new Float64Array(b);
  const scale = new Float64Array(b);
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * ld;
    for (let j = 0; j < b; j++) mean[j] += d[src + cols[j]];
  }
  for (let j = 0; j < b; j++) mean[j] /= rows.length;
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * ld;
    for (let j = 0; j < b; j++) {
      const v = Math.abs(d[src + cols[j]] - mean[j]);
      if (v > scale[j]) scale[j] = v;
    }
  }
  for (let j = 0; j < b; j++) if (scale[j] <= ROUNDING_SPREAD * Math.abs(mean[j])) scale[j] = 0;
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * ld;
    const dst = k * b;
    for (let j = 0; j < b; j++) out[dst + j] = scale[j] > 0 ? (d[src + cols[j]] - mean[j]) / scale[j] : 0;
  }
  return { mean, scale };
}
