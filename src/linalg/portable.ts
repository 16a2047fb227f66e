/**
 * Portable linear-algebra backend in plain TypeScript (no native code).
 *
 * Same contract and — up to rounding — the same results as the native OpenBLAS backend:
 *  - gemm: cache-blocked i-k-j product over row-major data with float64 accumulation (float32
 *    inputs give float32 outputs, rounded once at the end);
 *  - syevd: Householder tridiagonalisation + implicit QL with Wilkinson-type shifts (the
 *    EISPACK tred2/tql2 pair), eigenvalues ascending, orthonormal eigenvectors;
 *  - potrf: row-oriented Cholesky, NotPositiveDefiniteError with LAPACK's 1-based minor;
 *  - trsm: forward/back substitution for all side/uplo/trans combinations;
 *  - the float32 forward-pass kernels and seeded normals of ./nn.ts.
 *
 * Single-threaded; the async methods compute synchronously and return settled promises.
 * The argument checks at the top of this file are shared with the native backend.
 */
import {
  type Backend,
  type GemmOptions,
  type LinearOptions,
  type LinearWeights,
  type SymmetricEigen,
  type TrsmOptions,
  NotPositiveDefiniteError,
  gemmShape,
} from './backend.js';
import type { FloatArray, Matrix, Matrix64 } from './matrix.js';
import { type NnActivation, biasActivation, causalAttention, checkLinear, fillNormalChunks, layerNorm } from './nn.js';

// ------------------------------------------------------------------------------------------------
// Argument checks shared by the backends

/** Throws unless `m` is a well-formed matrix over a Float32Array/Float64Array. */
export function checkMatrix(m: Matrix, what: string): void {
  if (m === null || typeof m !== 'object') throw new TypeError(`${what} must be a matrix`);
  if (!(m.data instanceof Float64Array) && !(m.data instanceof Float32Array)) {
    throw new TypeError(`${what} must be stored in a Float32Array or a Float64Array`);
  }
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw new RangeError(`${what} has an invalid shape ${m.rows} × ${m.cols}`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new RangeError(`${what}: storage has ${m.data.length} values, expected ${m.rows} × ${m.cols} = ${m.rows * m.cols}`);
  }
}

function checkMatrix64(m: Matrix, what: string): asserts m is Matrix64 {
  checkMatrix(m, what);
  if (!(m.data instanceof Float64Array)) throw new TypeError(`${what} must be a float64 matrix (Float64Array storage)`);
}

function checkSquare64(m: Matrix, what: string): asserts m is Matrix64 {
  checkMatrix64(m, what);
  if (m.rows !== m.cols) throw new RangeError(`${what} must be square, got ${m.rows} × ${m.cols}`);
}

function overlaps(x: FloatArray, y: FloatArray): boolean {
  if (x.buffer !== y.buffer) return false;
  const x0 = x.byteOffset;
  const x1 = x0 + x.byteLength;
  const y0 = y.byteOffset;
  const y1 = y0 + y.byteLength;
  return x0 < y1 && y0 < x1 && x.length > 0 && y.length > 0;
}

/** Normalised gemm arguments (inputs that alias the output are copied). */
export interface GemmPlan<T extends FloatArray> {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  a: T;
  b: T;
  c: Matrix<T>;
}

export function planGemm<T extends FloatArray>(a: Matrix<T>, b: Matrix<T>, opts: GemmOptions<T> | undefined): GemmPlan<T> {
  checkMatrix(a, 'gemm: A');
  checkMatrix(b, 'gemm: B');
  const single = a.data instanceof Float32Array;
  if ((b.data instanceof Float32Array) !== single) {
    throw new TypeError(`gemm: A and B must share a precision (A is ${single ? 'float32' : 'float64'}, B is ${single ? 'float64' : 'float32'})`);
  }
  const transA = opts?.transA ?? false;
  const transB = opts?.transB ?? false;
  const alpha = opts?.alpha ?? 1;
  let beta = opts?.beta ?? 0;
  if (typeof transA !== 'boolean' || typeof transB !== 'boolean') throw new TypeError('gemm: transA and transB must be booleans');
  if (typeof alpha !== 'number' || typeof beta !== 'number') throw new TypeError('gemm: alpha and beta must be numbers');
  const { m, n, k } = gemmShape(a, b, transA, transB);
  let c: Matrix<T>;
  if (opts?.c !== undefined) {
    c = opts.c;
    checkMatrix(c, 'gemm: C');
    if ((c.data instanceof Float32Array) !== single) throw new TypeError(`gemm: C must have A's precision (${single ? 'float32' : 'float64'})`);
    if (c.rows !== m || c.cols !== n) throw new RangeError(`gemm: C is ${c.rows} × ${c.cols}, expected op(A)·op(B) = ${m} × ${n}`);
  } else {
    c = { rows: m, cols: n, data: (single ? new Float32Array(m * n) : new Float64Array(m * n)) as T };
    beta = 0;
  }
  const ad = overlaps(a.data, c.data) ? (a.data.slice() as T) : a.data;
  const bd = overlaps(b.data, c.data) ? (b.data.slice() as T) : b.data;
  return { m, n, k, transA, transB, alpha, beta, a: ad, b: bd, c };
}

export function checkSyevd(a: Matrix64): void {
  checkSquare64(a, 'syevd: A');
  const n = a.rows;
  const d = a.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0, base = i * n; j <= i; j++) {
      if (!Number.isFinite(d[base + j])) throw new RangeError(`syevd: A(${i}, ${j}) is ${d[base + j]}; the matrix must be finite`);
    }
  }
}

export function checkPotrf(a: Matrix64): void {
  checkSquare64(a, 'potrf: A');
}

/** Validates trsm arguments; returns the order of T. */
export function checkTrsm(t: Matrix64, b: Matrix64, opts: TrsmOptions): number {
  checkSquare64(t, 'trsm: T');
  checkMatrix64(b, 'trsm: B');
  if (opts === null || typeof opts !== 'object') throw new TypeError('trsm: options { side, lower, trans } are required');
  if (opts.side !== 'left' && opts.side !== 'right') throw new TypeError(`trsm: side must be 'left' or 'right', got ${String(opts.side)}`);
  if (typeof opts.lower !== 'boolean' || typeof opts.trans !== 'boolean') throw new TypeError('trsm: lower and trans must be booleans');
  if (opts.alpha !== undefined && typeof opts.alpha !== 'number') throw new TypeError('trsm: alpha must be a number');
  const need = opts.side === 'left' ? b.rows : b.cols;
  if (t.rows !== need) {
    throw new RangeError(`trsm: T is ${t.rows} × ${t.cols} but B is ${b.rows} × ${b.cols} (side '${opts.side}' needs T of order ${need})`);
  }
  return need;
}

// ------------------------------------------------------------------------------------------------
// Kernels

/** Row-major float64 copy of op(X) where X is stored rows × cols (op = transpose when `trans`). */
function opToF64(x: FloatArray, rows: number, cols: number, trans: boolean): Float64Array {
  if (!trans) return x instanceof Float64Array ? x : Float64Array.from(x);
  const out = new Float64Array(rows * cols);
  const TB = 32;
  for (let ii = 0; ii < rows; ii += TB) {
    const iEnd = Math.min(ii + TB, rows);
    for (let jj = 0; jj < cols; jj += TB) {
      const jEnd = Math.min(jj + TB, cols);
      for (let i = ii; i < iEnd; i++) {
        const src = i * cols;
        for (let j = jj; j < jEnd; j++) out[j * rows + i] = x[src + j];
      }
    }
  }
  return out;
}

const KB = 128; // rows of op(B) per block
const JB = 512; // columns of op(B) per block (KB × JB doubles = 512 KiB)

/** acc (m × n, float64, zeroed) += A (m × k) · B (k × n), all row-major float64. */
function gemmKernel(m: number, n: number, k: number, A: Float64Array, B: Float64Array, acc: Float64Array): void {
  for (let jj = 0; jj < n; jj += JB) {
    const jEnd = Math.min(jj + JB, n);
    for (let kk = 0; kk < k; kk += KB) {
      const kEnd = Math.min(kk + KB, k);
      for (let i = 0; i < m; i++) {
        const ai = i * k;
        const ci = i * n;
        let p = kk;
        // two rows of B per pass: halves the loads/stores of the accumulator row
        for (; p + 1 < kEnd; p += 2) {
          const a0 = A[ai + p];
          const a1 = A[ai + p + 1];
          const b0 = p * n;
          const b1 = b0 + n;
          for (let j = jj; j < jEnd; j++) acc[ci + j] += a0 * B[b0 + j] + a1 * B[b1 + j];
        }
        if (p < kEnd) {
          const a0 = A[ai + p];
          const b0 = p * n;
          for (let j = jj; j < jEnd; j++) acc[ci + j] += a0 * B[b0 + j];
        }
      }
    }
  }
}

export function portableGemm<T extends FloatArray>(plan: GemmPlan<T>): Matrix<T> {
  const { m, n, k, alpha, beta, c } = plan;
  const out = c.data;
  if (m === 0 || n === 0) return c;
  const acc = new Float64Array(m * n);
  if (k > 0) {
    const A = opToF64(plan.a, plan.transA ? k : m, plan.transA ? m : k, plan.transA);
    const B = opToF64(plan.b, plan.transB ? n : k, plan.transB ? k : n, plan.transB);
    gemmKernel(m, n, k, A, B, acc);
  }
  const len = m * n;
  if (beta === 0) {
    for (let i = 0; i < len; i++) out[i] = alpha * acc[i];
  } else {
    for (let i = 0; i < len; i++) out[i] = alpha * acc[i] + beta * out[i];
  }
  return c;
}

/**
 * Symmetric eigendecomposition (lower triangle of `a` read). EISPACK tred2 + tql2 as in JAMA,
 * working on W = Vᵀ so that every inner loop runs over contiguous memory.
 */
export function portableSyevd(a: Matrix64): SymmetricEigen {
  const n = a.rows;
  const A = a.data;
  const values = new Float64Array(n);
  if (n === 0) return { values, vectors: { rows: 0, cols: 0, data: new Float64Array(0) } };
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = A[i * n + j];
      W[i * n + j] = v;
      W[j * n + i] = v;
    }
  }
  const d = values;
  const e = new Float64Array(n);

  // --- tred2: Householder reduction to tridiagonal form (V(r, c) = W[c*n + r]).
  for (let j = 0; j < n; j++) d[j] = W[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = W[j * n + i - 1];
        W[j * n + i] = 0;
        W[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        W[i * n + j] = f;
        const wj = j * n;
        g = e[j] + W[wj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const v = W[wj + k];
          g += v * d[k];
          e[k] += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const wj = j * n;
        for (let k = j; k <= i - 1; k++) W[wj + k] -= f * e[k] + g * d[k];
        d[j] = W[wj + i - 1];
        W[wj + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    const wi = i * n;
    const wi1 = (i + 1) * n;
    W[wi + n - 1] = W[wi + i];
    W[wi + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = W[wi1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const wj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += W[wi1 + k] * W[wj + k];
        for (let k = 0; k <= i; k++) W[wj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) W[wi1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1];
    W[j * n + n - 1] = 0;
  }
  W[(n - 1) * n + n - 1] = 1;
  e[0] = 0;

  // --- tql2: implicit QL on the tridiagonal matrix.
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error(`syevd: the QL iteration did not converge for eigenvalue ${l}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const wi = i * n;
          const wi1 = wi + n;
          for (let k = 0; k < n; k++) {
            const hk = W[wi1 + k];
            const vk = W[wi + k];
            W[wi1 + k] = s * vk + c * hk;
            W[wi + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // Sort ascending (selection sort, swapping rows of W = columns of V).
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      const wi = i * n;
      const wk = k * n;
      for (let j = 0; j < n; j++) {
        const t = W[wi + j];
        W[wi + j] = W[wk + j];
        W[wk + j] = t;
      }
    }
  }
  // Row-major V: V[r][c] = W[c*n + r].
  const V = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const wc = c * n;
    for (let r = 0; r < n; r++) V[r * n + c] = W[wc + r];
  }
  return { values, vectors: { rows: n, cols: n, data: V } };
}

/** Lower Cholesky factor (row-oriented); throws NotPositiveDefiniteError(order) like dpotrf. */
export function portablePotrf(a: Matrix64): Matrix64 {
  const n = a.rows;
  const A = a.data;
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    for (let j = 0; j <= i; j++) {
      const lj = j * n;
      let s = A[li + j];
      for (let k = 0; k < j; k++) s -= L[li + k] * L[lj + k];
      if (i === j) {
        if (!(s > 0)) throw new NotPositiveDefiniteError(i + 1);
        L[li + i] = Math.sqrt(s);
      } else {
        L[li + j] = s / L[lj + j];
      }
    }
  }
  return { rows: n, cols: n, data: L };
}

/** Triangular solve; see TrsmOptions. Reads only the named triangle of `t`. */
export function portableTrsm(t: Matrix64, b: Matrix64, opts: TrsmOptions): Matrix64 {
  const m = b.rows;
  const n = b.cols;
  const alpha = opts.alpha ?? 1;
  const X = new Float64Array(m * n);
  for (let i = 0; i < X.length; i++) X[i] = alpha * b.data[i];
  const p = t.rows;
  if (m === 0 || n === 0) return { rows: m, cols: n, data: X };
  // Explicit op(T), keeping only the triangle that is read; effective lower = lower XOR trans.
  const T = new Float64Array(p * p);
  const src = t.data;
  for (let i = 0; i < p; i++) {
    const j0 = opts.lower ? 0 : i;
    const j1 = opts.lower ? i : p - 1;
    for (let j = j0; j <= j1; j++) {
      if (opts.trans) T[j * p + i] = src[i * p + j];
      else T[i * p + j] = src[i * p + j];
    }
  }
  const lower = opts.lower !== opts.trans;
  if (opts.side === 'left') {
    // op(T) X = alpha B, row by row (rows of X are contiguous).
    if (lower) {
      for (let i = 0; i < m; i++) {
        const xi = i * n;
        for (let k = 0; k < i; k++) {
          const tik = T[i * p + k];
          const xk = k * n;
          for (let j = 0; j < n; j++) X[xi + j] -= tik * X[xk + j];
        }
        const inv = 1 / T[i * p + i];
        for (let j = 0; j < n; j++) X[xi + j] *= inv;
      }
    } else {
      for (let i = m - 1; i >= 0; i--) {
        const xi = i * n;
        for (let k = i + 1; k < m; k++) {
          const tik = T[i * p + k];
          const xk = k * n;
          for (let j = 0; j < n; j++) X[xi + j] -= tik * X[xk + j];
        }
        const inv = 1 / T[i * p + i];
        for (let j = 0; j < n; j++) X[xi + j] *= inv;
      }
    }
  } else {
    // X op(T) = alpha B, each row x solves x·U = b.
    for (let r = 0; r < m; r++) {
      const xr = r * n;
      if (lower) {
        // column j: sum_{k >= j} x[k] U[k][j] = b[j]; solve j descending.
        for (let j = n - 1; j >= 0; j--) {
          const xj = X[xr + j] / T[j * p + j];
          X[xr + j] = xj;
          if (xj === 0) continue;
          const tj = j * p;
          for (let k = 0; k < j; k++) X[xr + k] -= xj * T[tj + k];
        }
      } else {
        // column j: sum_{k <= j} x[k] U[k][j] = b[j]; solve j ascending.
        for (let j = 0; j < n; j++) {
          const xj = X[xr + j] / T[j * p + j];
          X[xr + j] = xj;
          if (xj === 0) continue;
          const tj = j * p;
          for (let k = j + 1; k < n; k++) X[xr + k] -= xj * T[tj + k];
        }
      }
    }
  }
  return { rows: m, cols: n, data: X };
}

// ------------------------------------------------------------------------------------------------

export class PortableBackend implements Backend {
  readonly name = 'portable' as const;

  /** Accepted for interface compatibility; the portable backend always runs on one thread. */
  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected an integer ≥ 1, got ${n}`);
  }

  getThreads(): number {
    return 1;
  }

  gemm<T extends FloatArray>(a: Matrix<T>, b: Matrix<T>, opts?: GemmOptions<T>): Promise<Matrix<T>> {
    try {
      return Promise.resolve(portableGemm(planGemm(a, b, opts)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  syevd(a: Matrix64): Promise<SymmetricEigen> {
    try {
      checkSyevd(a);
      return Promise.resolve(portableSyevd(a));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  syevdMany(mats: readonly Matrix64[]): Promise<SymmetricEigen[]> {
    return Promise.all(mats.map((m) => this.syevd(m)));
  }

  potrf(a: Matrix64): Promise<Matrix64> {
    try {
      checkPotrf(a);
      return Promise.resolve(portablePotrf(a));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  trsm(t: Matrix64, b: Matrix64, opts: TrsmOptions): Promise<Matrix64> {
    try {
      checkTrsm(t, b, opts);
      return Promise.resolve(portableTrsm(t, b, opts));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  layerNorm(x: Float32Array, out: Float32Array, rows: number, d: number, weight: Float32Array, bias: Float32Array, eps: number): Promise<void> {
    return settle(() => layerNorm(x, out, rows, d, weight, bias, eps));
  }

  biasActivation(x: Float32Array, rows: number, n: number, bias: Float32Array, act: NnActivation): Promise<void> {
    return settle(() => biasActivation(x, rows, n, bias, act));
  }

  causalAttention(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number): Promise<void> {
    return settle(() => causalAttention(qkv, offsets, out, d, nHead, scale));
  }

  fillNormalChunks(out: Float32Array, seed: number, tensor: number, chunk: number, firstChunk: number, std: number): Promise<void> {
    return settle(() => fillNormalChunks(out, seed, tensor, chunk, firstChunk, std));
  }

  /** W itself (row-major; no copy). */
  packLinear(w: Float32Array, k: number, n: number): Promise<LinearWeights> {
    try {
      if (w.length !== k * n) throw new RangeError(`packLinear: expected ${k} × ${n} = ${k * n} values, got ${w.length}`);
      return Promise.resolve({ k, n, layout: 'row-major', data: w });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  normalLinear(k: number, n: number, seed: number, tensor: number, chunk: number, std: number): Promise<LinearWeights> {
    try {
      const data = new Float32Array(k * n);
      fillNormalChunks(data, seed, tensor, chunk, 0, std);
      return Promise.resolve({ k, n, layout: 'row-major', data });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** gemm (float64 sums) then bias + activation. */
  linear(x: Float32Array, rows: number, w: LinearWeights, bias: Float32Array, out: Float32Array, opts: LinearOptions = {}): Promise<void> {
    return settle(() => {
      checkLinear(x, rows, w, bias, out, opts);
      if (w.layout !== 'row-major') throw new RangeError(`linear: weights in the ${w.layout} layout belong to another backend`);
      portableGemm(planGemm({ rows, cols: w.k, data: x }, { rows: w.k, cols: w.n, data: w.data }, { c: { rows, cols: w.n, data: out }, beta: opts.accumulate ? 1 : 0 }));
      biasActivation(out, rows, w.n, bias, opts.act ?? 'identity');
    });
  }
}

/** Runs f now; a settled promise of its completion or its error. */
function settle(f: () => void): Promise<void> {
  try {
    f();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
}
