import type { FloatArray, Matrix, Matrix64 } from './matrix.js';
import type { NnActivation } from './nn.js';

export type { NnActivation } from './nn.js';

/** Options of a general matrix product C = alpha · op(A) · op(B) + beta · C. */
export interface GemmOptions<T extends FloatArray> {
  /** Use Aᵀ instead of A. */
  transA?: boolean;
  /** Use Bᵀ instead of B. */
  transB?: boolean;
  /** Default 1. */
  alpha?: number;
  /** Default 0; only meaningful with `c`. */
  beta?: number;
  /** Output (and input, when beta ≠ 0). Must have the shape of op(A)·op(B) and the same precision. */
  c?: Matrix<T>;
}

/** Result of a symmetric eigendecomposition A = V diag(values) Vᵀ. */
export interface SymmetricEigen {
  /** Eigenvalues in ascending order (length n). */
  values: Float64Array;
  /** n × n, row-major; column j is the unit eigenvector of values[j]. */
  vectors: Matrix64;
}

export interface TrsmOptions {
  /** 'left': solve op(T)·X = alpha·B; 'right': solve X·op(T) = alpha·B. */
  side: 'left' | 'right';
  /** T is lower (true) or upper (false) triangular; the other triangle is not read. */
  lower: boolean;
  /** Use Tᵀ. */
  trans: boolean;
  /** Default 1. */
  alpha?: number;
}

/**
 * The weight matrix W (k inputs × n outputs, y = x·W + b) of a linear layer, prepared once by a
 * backend for repeated products: `row-major` is W itself; `panel64` is the native backend's packed
 * layout (src/linalg/nn.ts, `packPanel64`). Pass it only to the backend that made it.
 */
export interface LinearWeights {
  readonly k: number;
  readonly n: number;
  readonly layout: 'row-major' | 'panel64';
  readonly data: Float32Array;
}

/** Options of `linear`. */
export interface LinearOptions {
  /** out += x·W + bias instead of out = act(x·W + bias) (then act must be 'identity'). */
  accumulate?: boolean;
  /** Default 'identity'. */
  act?: NnActivation;
}

/** Raised by `potrf` when the matrix is not (numerically) positive definite. */
export class NotPositiveDefiniteError extends Error {
  /** 1-based order of the leading minor that is not positive definite (LAPACK's info). */
  readonly minor: number;
  constructor(minor: number) {
    super(`potrf: the leading minor of order ${minor} is not positive definite`);
    this.name = 'NotPositiveDefiniteError';
    this.minor = minor;
  }
}

/**
 * One numeric interface, several implementations (picked once, see `getBackend`).
 *
 * All heavy operations return promises: the native backend runs them off the main thread so
 * that progress reporting keeps ticking. Inputs are never modified; outputs are new matrices
 * unless `c` is passed to `gemm`.
 */
export interface Backend {
  readonly name: 'native' | 'portable';
  /** Number of BLAS threads used by each call (≥ 1). */
  setThreads(n: number): void;
  getThreads(): number;
  /** C = alpha · op(A) · op(B) + beta · C, in A's precision (A, B, C must share it). */
  gemm<T extends FloatArray>(a: Matrix<T>, b: Matrix<T>, opts?: GemmOptions<T>): Promise<Matrix<T>>;
  /** Eigendecomposition of a symmetric n × n matrix (only its lower triangle is read); LAPACK dsyevd. */
  syevd(a: Matrix64): Promise<SymmetricEigen>;
  /**
   * syevd of several independent matrices (same results as one call each). Native: up to the BLAS
   * thread count of them at once, each on one BLAS thread — at a few hundred rows dsyevd gains
   * little from a second thread, so this is how many small decompositions use the cores.
   */
  syevdMany(mats: readonly Matrix64[]): Promise<SymmetricEigen[]>;
  /** Cholesky factor L (lower, upper triangle zeroed) with A = L·Lᵀ; LAPACK dpotrf. Throws NotPositiveDefiniteError. */
  potrf(a: Matrix64): Promise<Matrix64>;
  /** Triangular solve with multiple right-hand sides; BLAS dtrsm. Returns X. */
  trsm(t: Matrix64, b: Matrix64, opts: TrsmOptions): Promise<Matrix64>;

  // Float32 kernels of the transformer forward pass (definitions in src/linalg/nn.ts). Each is one
  // call over a whole activation matrix; arguments must not be modified until the promise settles.

  /** Row-wise layer norm of x (rows × d) into out (may be x): (x − μ)/√(σ² + eps)·weight + bias, float64 sums. */
  layerNorm(x: Float32Array, out: Float32Array, rows: number, d: number, weight: Float32Array, bias: Float32Array, eps: number): Promise<void>;
  /** x[i, j] ← act(x[i, j] + bias[j]) in place (rows × n). */
  biasActivation(x: Float32Array, rows: number, n: number, bias: Float32Array, act: NnActivation): Promise<void>;
  /**
   * Causal multi-head self-attention of sequences stacked row-wise (rows offsets[s] … offsets[s+1] − 1):
   * qkv is R × 3d ([q | k | v], heads contiguous), out is R × d (per head: softmax(scale·q·kᵀ) with the
   * causal mask, times v).
   */
  causalAttention(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number): Promise<void>;
  /**
   * Seeded normals (weight initialisation): chunk c of `out` (elements c·chunk …, the last one may be
   * short) is std · numpy `RandomState([seed, tensor, firstChunk + c]).standard_normal`, in float32;
   * identical values on every backend.
   */
  fillNormalChunks(out: Float32Array, seed: number, tensor: number, chunk: number, firstChunk: number, std: number): Promise<void>;
  /** W (k × n, row-major) prepared for `linear` (a copy in the backend's layout, or W itself). */
  packLinear(w: Float32Array, k: number, n: number): Promise<LinearWeights>;
  /**
   * A k × n weight of seeded normals, generated straight into the backend's layout: the values of
   * `fillNormalChunks` on a row-major k × n array (same chunks, same numbers), as `packLinear` would lay them out.
   */
  normalLinear(k: number, n: number, seed: number, tensor: number, chunk: number, std: number): Promise<LinearWeights>;
  /** out (rows × n) = act(x·W + bias), or out += x·W + bias; x is rows × k. float32, sums in float32 (native) or float64 (portable). */
  linear(x: Float32Array, rows: number, w: LinearWeights, bias: Float32Array, out: Float32Array, opts?: LinearOptions): Promise<void>;
}

/** Shape of op(A)·op(B), or an error naming the mismatch. */
export function gemmShape(a: Matrix, b: Matrix, transA: boolean, transB: boolean): { m: number; n: number; k: number } {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    throw new RangeError(`gemm: inner dimensions differ: op(A) is ${m} × ${k}, op(B) is ${kb} × ${n}`);
  }
  return { m, n, k };
}
