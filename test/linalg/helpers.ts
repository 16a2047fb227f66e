/**
 * Test helpers for linalg: a seeded generator, naive references computed here (not with the
 * code under test), and a suite of closed-form checks run against every backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Backend,
  type FloatArray,
  type Matrix,
  type Matrix64,
  NotPositiveDefiniteError,
  fromRows,
  zeros32,
  zeros64,
} from '../../src/linalg/index.js';

/** mulberry32: small seeded generator in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(r: () => number): number {
  const u = 1 - r();
  const v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function rand64(rows: number, cols: number, r: () => number): Matrix64 {
  const m = zeros64(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = randn(r);
  return m;
}

export function rand32(rows: number, cols: number, r: () => number): Matrix<Float32Array> {
  const m = zeros32(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = randn(r);
  return m;
}

/** Naive float64 reference of alpha·op(A)·op(B) + beta·C, with Σ|terms| per element (for error bounds). */
export function naiveGemm(a: Matrix, b: Matrix, transA: boolean, transB: boolean, alpha: number, beta: number, c?: Matrix): { value: Float64Array; bound: Float64Array; m: number; n: number; k: number } {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const value = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let sa = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a.data[p * a.cols + i] : a.data[i * a.cols + p];
        const y = transB ? b.data[j * b.cols + p] : b.data[p * b.cols + j];
        s += x * y;
        sa += Math.abs(x * y);
      }
      const cv = c && beta !== 0 ? c.data[i * n + j] : 0;
      value[i * n + j] = alpha * s + beta * cv;
      bound[i * n + j] = Math.abs(alpha) * sa + Math.abs(beta * cv);
    }
  }
  return { value, bound, m, n, k };
}

/** Asserts |got − want| ≤ tol(k)·bound elementwise (plus a tiny absolute floor). */
export function assertGemmClose(got: FloatArray, ref: { value: Float64Array; bound: Float64Array; k: number }, single: boolean, label: string): void {
  assert.equal(got.length, ref.value.length, `${label}: length`);
  const eps = single ? 2 ** -23 : 2 ** -52;
  const factor = (ref.k + 4) * eps * 2;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.value[i]);
    const tol = factor * ref.bound[i] + 1e-300;
    if (!(err <= tol)) assert.fail(`${label}: element ${i}: got ${got[i]}, expected ${ref.value[i]} (error ${err} > ${tol})`);
  }
}

/** Row-major naive product of float64 matrices. */
export function mul(a: Matrix64, b: Matrix64): Matrix64 {
  const out = zeros64(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let p = 0; p < a.cols; p++) {
      const x = a.data[i * a.cols + p];
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += x * b.data[p * b.cols + j];
    }
  }
  return out;
}

export function transposed(a: Matrix64): Matrix64 {
  const out = zeros64(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

export function frob(a: Matrix64): number {
  let s = 0;
  for (const v of a.data) s += v * v;
  return Math.sqrt(s);
}

/** max |A − V diag(w) Vᵀ| using the lower triangle of A as the reference (A symmetric). */
export function reconstructionError(a: Matrix64, w: Float64Array, v: Matrix64): number {
  const n = a.rows;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v.data[i * n + k] * w[k] * v.data[j * n + k];
      worst = Math.max(worst, Math.abs(a.data[i * n + j] - s));
    }
  }
  return worst;
}

/** max |VᵀV − I|. */
export function orthogonalityError(v: Matrix64): number {
  const n = v.rows;
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = 0; q <= p; q++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += v.data[i * n + p] * v.data[i * n + q];
      worst = Math.max(worst, Math.abs(s - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

/** Random orthogonal Q (product of `count` Householder reflections). */
export function randomOrthogonal(n: number, r: () => number, count = 3): Matrix64 {
  let q = zeros64(n, n);
  for (let i = 0; i < n; i++) q.data[i * n + i] = 1;
  for (let c = 0; c < count; c++) {
    const u = new Float64Array(n);
    let nn = 0;
    for (let i = 0; i < n; i++) {
      u[i] = randn(r);
      nn += u[i] * u[i];
    }
    const h = zeros64(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h.data[i * n + j] = (i === j ? 1 : 0) - (2 * u[i] * u[j]) / nn;
    q = mul(q, h);
  }
  return q;
}

/** Q diag(lambda) Qᵀ, exactly symmetrised. */
export function fromSpectrum(q: Matrix64, lambda: ArrayLike<number>): Matrix64 {
  const n = q.rows;
  const a = zeros64(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q.data[i * n + k] * lambda[k] * q.data[j * n + k];
      a.data[i * n + j] = s;
      a.data[j * n + i] = s;
    }
  }
  return a;
}

/** Copy of a square matrix with `value` written into the strict upper triangle (which must not be read). */
export function poisonUpper(a: Matrix64, value: number): Matrix64 {
  const out = { rows: a.rows, cols: a.cols, data: a.data.slice() };
  for (let i = 0; i < a.rows; i++) for (let j = i + 1; j < a.cols; j++) out.data[i * a.cols + j] = value;
  return out;
}

export function hilbert(n: number): Matrix64 {
  const h = zeros64(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h.data[i * n + j] = 1 / (i + j + 1);
  return h;
}

/**
 * Closed-form and naive-reference checks that every backend must pass.
 * `get` is called inside each test, so a backend that cannot be created fails every test.
 */
export function backendSuite(label: string, get: () => Backend): void {
  test(`${label}: gemm matches a naive triple loop (all transposes, alpha/beta, f32/f64, odd shapes)`, async () => {
    const be = get();
    const r = rng(11);
    const shapes: Array<[number, number, number]> = [[1, 1, 1], [7, 5, 3], [37, 19, 23], [64, 65, 129], [3, 200, 2], [150, 1, 40]];
    for (const single of [false, true]) {
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const [alpha, beta] of [[1, 0], [-0.75, 0], [2.5, -1.25]] as Array<[number, number]>) {
              const mk = (rows: number, cols: number) => (single ? rand32(rows, cols, r) : rand64(rows, cols, r));
              const a = transA ? mk(k, m) : mk(m, k);
              const b = transB ? mk(n, k) : mk(k, n);
              const c = mk(m, n);
              const ref = naiveGemm(a, b, transA, transB, alpha, beta, c);
              const out = await be.gemm(a as Matrix<FloatArray>, b as Matrix<FloatArray>, { transA, transB, alpha, beta, c: c as Matrix<FloatArray> });
              assert.equal(out, c, 'gemm returns the matrix passed as c');
              assertGemmClose(out.data, ref, single, `${label} ${single ? 's' : 'd'}gemm ${m}x${n}x${k} tA=${transA} tB=${transB} α=${alpha} β=${beta}`);
              // and without c: a fresh matrix, beta ignored
              const fresh = await be.gemm(a as Matrix<FloatArray>, b as Matrix<FloatArray>, { transA, transB, alpha });
              assert.ok(single ? fresh.data instanceof Float32Array : fresh.data instanceof Float64Array);
              assert.deepEqual([fresh.rows, fresh.cols], [m, n]);
              assertGemmClose(fresh.data, naiveGemm(a, b, transA, transB, alpha, 0), single, `${label} fresh`);
            }
          }
        }
      }
    }
  });

  test(`${label}: gemm edge cases (0-size, k = 0 scales C, 1×1, aliasing C with A, input untouched)`, async () => {
    const be = get();
    const r = rng(12);
    const e1 = await be.gemm(zeros64(0, 3), zeros64(3, 4));
    assert.deepEqual([e1.rows, e1.cols, e1.data.length], [0, 4, 0]);
    const e2 = await be.gemm(zeros32(3, 0), zeros32(0, 2));
    assert.deepEqual([e2.rows, e2.cols], [3, 2]);
    assert.deepEqual(Array.from(e2.data), [0, 0, 0, 0, 0, 0]);
    const c = fromRows([[1, 2], [3, 4]]);
    await be.gemm(zeros64(2, 0), zeros64(0, 2), { c, beta: 3, alpha: 7 });
    assert.deepEqual(Array.from(c.data), [3, 6, 9, 12]);
    const one = await be.gemm(fromRows([[3]]), fromRows([[-2]]), { alpha: 0.5 });
    assert.deepEqual(Array.from(one.data), [-3]);
    // C aliasing A: result as if A were read before being overwritten
    const a = rand64(6, 6, r);
    const b = rand64(6, 6, r);
    const a0 = a.data.slice();
    const b0 = b.data.slice();
    const ref = naiveGemm({ ...a, data: a0 }, b, false, false, 1, 0);
    const untouched = await be.gemm(a, b, { transB: true });
    assert.deepEqual(a.data, a0, 'A is not modified');
    assert.deepEqual(b.data, b0, 'B is not modified');
    assert.equal(untouched.rows, 6);
    await be.gemm(a, b, { c: a });
    assertGemmClose(a.data, ref, false, `${label} aliased`);
  });

  test(`${label}: gemm rejects bad arguments`, async () => {
    const be = get();
    await assert.rejects(be.gemm(zeros64(2, 3), zeros64(2, 3)), RangeError);
    await assert.rejects(be.gemm(zeros64(2, 3) as Matrix<FloatArray>, zeros32(3, 2) as Matrix<FloatArray>), TypeError);
    await assert.rejects(be.gemm(zeros64(2, 3), zeros64(3, 2), { c: zeros64(3, 3) }), RangeError);
    await assert.rejects(be.gemm({ rows: 2, cols: 2, data: new Float64Array(3) }, zeros64(2, 2)), RangeError);
  });

  test(`${label}: syevd of the [-1, 2, -1] tridiagonal matrix (closed form)`, async () => {
    const be = get();
    const n = 60;
    const a = zeros64(n, n);
    for (let i = 0; i < n; i++) {
      a.data[i * n + i] = 2;
      if (i > 0) {
        a.data[i * n + i - 1] = -1;
        a.data[(i - 1) * n + i] = -1;
      }
    }
    const { values, vectors } = await be.syevd(a);
    for (let k = 1; k <= n; k++) {
      const want = 2 - 2 * Math.cos((k * Math.PI) / (n + 1));
      assert.ok(Math.abs(values[k - 1] - want) < 1e-13, `eigenvalue ${k}: ${values[k - 1]} vs ${want}`);
      // eigenvector: sqrt(2/(n+1)) sin(j k π / (n+1)), up to sign
      let dot = 0;
      for (let j = 1; j <= n; j++) dot += vectors.data[(j - 1) * n + (k - 1)] * Math.sqrt(2 / (n + 1)) * Math.sin((j * k * Math.PI) / (n + 1));
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-10, `eigenvector ${k}: |<v, exact>| = ${Math.abs(dot)}`);
    }
    assert.ok(orthogonalityError(vectors) < 1e-13);
  });

  test(`${label}: syevd of Q diag(λ) Qᵀ recovers λ (repeated, negative, zero), reads only the lower triangle`, async () => {
    const be = get();
    const r = rng(13);
    const n = 25;
    const lambda = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 3 : i - 12));
    const q = randomOrthogonal(n, r);
    const a = fromSpectrum(q, lambda);
    const sorted = [...lambda].sort((x, y) => x - y);
    const { values, vectors } = await be.syevd(poisonUpper(a, Number.NaN));
    for (let i = 0; i < n; i++) assert.ok(Math.abs(values[i] - sorted[i]) < 1e-12, `λ${i}: ${values[i]} vs ${sorted[i]}`);
    assert.ok(reconstructionError(a, values, vectors) < 1e-12);
    assert.ok(orthogonalityError(vectors) < 1e-13);
  });

  test(`${label}: syevd of a rank-deficient 300×300 Gram matrix (rank 50)`, async () => {
    const be = get();
    const r = rng(14);
    const x = rand64(300, 50, r);
    const g = mul(x, transposed(x)); // 300 × 300, rank 50
    const small = mul(transposed(x), x); // 50 × 50: same non-zero spectrum
    const { values, vectors } = await be.syevd(g);
    const ref = await be.syevd(small);
    const top = values[299];
    for (let i = 1; i < 300; i++) assert.ok(values[i] >= values[i - 1], 'ascending');
    for (let i = 0; i < 250; i++) assert.ok(Math.abs(values[i]) < 1e-12 * top, `null eigenvalue ${i} = ${values[i]}`);
    for (let i = 0; i < 50; i++) assert.ok(Math.abs(values[250 + i] - ref.values[i]) < 1e-11 * top, `non-zero eigenvalue ${i}`);
    let trace = 0;
    for (let i = 0; i < 300; i++) trace += g.data[i * 300 + i];
    assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) - trace) < 1e-10 * trace);
    assert.ok(reconstructionError(g, values, vectors) < 1e-12 * top);
    assert.ok(orthogonalityError(vectors) < 1e-12);
  });

  test(`${label}: syevd of a badly conditioned matrix (condition 1e14)`, async () => {
    const be = get();
    const r = rng(15);
    const n = 40;
    const lambda = Array.from({ length: n }, (_, i) => 10 ** (-14 * (i / (n - 1))));
    const a = fromSpectrum(randomOrthogonal(n, r, 4), lambda);
    const { values, vectors } = await be.syevd(a);
    const sorted = [...lambda].sort((x, y) => x - y);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(values[i] - sorted[i]) < 1e-14, `λ${i}: ${values[i]} vs ${sorted[i]}`);
    assert.ok(reconstructionError(a, values, vectors) < 1e-14);
    assert.ok(orthogonalityError(vectors) < 1e-13);
  });

  test(`${label}: syevd edge cases (0×0, 1×1, diagonal, non-square rejected)`, async () => {
    const be = get();
    const e0 = await be.syevd(zeros64(0, 0));
    assert.equal(e0.values.length, 0);
    assert.equal(e0.vectors.rows, 0);
    const e1 = await be.syevd(fromRows([[-4.5]]));
    assert.deepEqual(Array.from(e1.values), [-4.5]);
    assert.equal(Math.abs(e1.vectors.data[0]), 1);
    const d = await be.syevd(fromRows([[3, 0, 0], [0, 1, 0], [0, 0, 2]]));
    assert.deepEqual(Array.from(d.values), [1, 2, 3]);
    assert.equal(Math.abs(d.vectors.data[1 * 3 + 0]), 1); // value 1 ↔ e₂
    await assert.rejects(be.syevd(zeros64(2, 3)), RangeError);
  });

  test(`${label}: potrf of Hilbert matrices and random SPD (residual, structure, lower triangle only)`, async () => {
    const be = get();
    for (const n of [1, 5, 8, 10]) {
      const h = hilbert(n);
      const l = await be.potrf(poisonUpper(h, Number.NaN));
      for (let i = 0; i < n; i++) {
        assert.ok(l.data[i * n + i] > 0, 'positive diagonal');
        for (let j = i + 1; j < n; j++) assert.equal(l.data[i * n + j], 0, 'upper triangle zeroed');
      }
      const res = mul(l, transposed(l));
      let worst = 0;
      for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(res.data[i] - h.data[i]));
      assert.ok(worst < 4e-16 * n, `Hilbert ${n}: ‖LLᵀ − H‖∞ = ${worst}`);
    }
    const r = rng(16);
    const x = rand64(80, 60, r);
    const spd = mul(transposed(x), x);
    const l = await be.potrf(spd);
    const res = mul(l, transposed(l));
    let worst = 0;
    for (let i = 0; i < res.data.length; i++) worst = Math.max(worst, Math.abs(res.data[i] - spd.data[i]));
    assert.ok(worst < 1e-12 * frob(spd));
    const e = await be.potrf(zeros64(0, 0));
    assert.equal(e.data.length, 0);
  });

  test(`${label}: potrf throws NotPositiveDefiniteError with LAPACK's 1-based minor`, async () => {
    const be = get();
    const cases: Array<[number[][], number]> = [
      [[[1, 2], [2, 1]], 2],
      [[[-1]], 1],
      [[[0, 0], [0, 0]], 1],
      [[[4, 0, 0, 0], [1, 5, 0, 0], [0, 0, -2, 0], [0, 0, 0, 1]], 3],
      [[[1, 1, 1], [1, 1, 1], [1, 1, 1]], 2],
    ];
    for (const [rows, minor] of cases) {
      await assert.rejects(be.potrf(fromRows(rows)), (err: unknown) => {
        assert.ok(err instanceof NotPositiveDefiniteError, `got ${String(err)}`);
        assert.equal(err.minor, minor);
        return true;
      });
    }
    await assert.rejects(be.potrf(zeros64(2, 3)), RangeError);
  });

  test(`${label}: trsm solves all 8 side/lower/trans combinations (reads only one triangle)`, async () => {
    const be = get();
    const r = rng(17);
    for (const side of ['left', 'right'] as const) {
      for (const lower of [false, true]) {
        for (const trans of [false, true]) {
          const m = 13;
          const n = 9;
          const p = side === 'left' ? m : n;
          const t = zeros64(p, p);
          for (let i = 0; i < p; i++) {
            for (let j = 0; j < p; j++) {
              const inside = lower ? j <= i : j >= i;
              t.data[i * p + j] = inside ? (i === j ? 2 + r() : 0.3 * randn(r)) : Number.NaN;
            }
          }
          const clean = zeros64(p, p);
          for (let i = 0; i < p * p; i++) clean.data[i] = Number.isNaN(t.data[i]) ? 0 : t.data[i];
          const opT = trans ? transposed(clean) : clean;
          const b = rand64(m, n, r);
          const b0 = b.data.slice();
          const alpha = -1.5;
          const x = await be.trsm(t, b, { side, lower, trans, alpha });
          assert.deepEqual(b.data, b0, 'B is not modified');
          const lhs = side === 'left' ? mul(opT, x) : mul(x, opT);
          let worst = 0;
          for (let i = 0; i < lhs.data.length; i++) worst = Math.max(worst, Math.abs(lhs.data[i] - alpha * b.data[i]));
          assert.ok(worst < 1e-12, `${side} lower=${lower} trans=${trans}: residual ${worst}`);
        }
      }
    }
    const x0 = await be.trsm(zeros64(0, 0), zeros64(0, 4), { side: 'left', lower: true, trans: false });
    assert.deepEqual([x0.rows, x0.cols], [0, 4]);
    const x1 = await be.trsm(fromRows([[4]]), fromRows([[2, 8]]), { side: 'left', lower: false, trans: true });
    assert.deepEqual(Array.from(x1.data), [0.5, 2]);
    await assert.rejects(be.trsm(zeros64(3, 3), zeros64(2, 3), { side: 'left', lower: true, trans: false }), RangeError);
  });
}
