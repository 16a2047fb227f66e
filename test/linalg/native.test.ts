/**
 * Native (OpenBLAS) backend. These tests FAIL when the addon is not built: the README installs
 * libopenblas-dev, so a missing addon is an installation error, not a reason to skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import {
  type FloatArray,
  type Matrix,
  type Matrix64,
  NativeBackend,
  PortableBackend,
  getBackend,
  loadNativeBackend,
  nativeUnavailableReason,
  zeros64,
} from '../../src/linalg/index.js';
import { assertGemmClose, backendSuite, mul, naiveGemm, rand32, rand64, rng, transposed } from './helpers.js';

function native(): NativeBackend {
  const be = loadNativeBackend();
  if (!be) assert.fail(`the native addon is not available (${nativeUnavailableReason()}); run \`npx node-gyp rebuild\` (needs libopenblas-dev)`);
  return be;
}

const portable = new PortableBackend();

test('native: the addon is built and loads', () => {
  assert.equal(nativeUnavailableReason(), null);
  const be = native();
  assert.equal(be.name, 'native');
  assert.equal(getBackend('native'), getBackend('native'), 'singleton');
  assert.ok(getBackend('native') instanceof NativeBackend);
  const info = be.info();
  assert.match(info.config, /OpenBLAS/);
});

backendSuite('native', native);

test('native: thread count set/get (default = available cores)', () => {
  const be = getBackend('native');
  assert.equal(be.getThreads(), Math.min(os.availableParallelism(), 64));
  be.setThreads(1);
  assert.equal(be.getThreads(), 1);
  assert.equal(native().addon.getThreads(), 1, 'applied to OpenBLAS');
  be.setThreads(2);
  assert.equal(be.getThreads(), 2);
  assert.throws(() => be.setThreads(0), RangeError);
  assert.throws(() => be.setThreads(1.5), RangeError);
  be.setThreads(os.availableParallelism());
});

test('native vs portable on random matrices (all transposes, alpha/beta, f32 and f64)', async () => {
  const nb = native();
  const r = rng(21);
  for (const single of [false, true]) {
    for (const [m, n, k] of [[120, 77, 95], [1, 300, 17], [250, 2, 250]] as Array<[number, number, number]>) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const mk = (rows: number, cols: number) => (single ? rand32(rows, cols, r) : rand64(rows, cols, r)) as Matrix<FloatArray>;
          const a = transA ? mk(k, m) : mk(m, k);
          const b = transB ? mk(n, k) : mk(k, n);
          const c = mk(m, n);
          const cp = { rows: m, cols: n, data: c.data.slice() };
          const opts = { transA, transB, alpha: 0.625, beta: -2 };
          const ref = naiveGemm(a, b, transA, transB, 0.625, -2, c);
          const gotN = await nb.gemm(a, b, { ...opts, c });
          const gotP = await portable.gemm(a, b, { ...opts, c: cp });
          assertGemmClose(gotN.data, ref, single, `native ${m}x${n}x${k} ${transA}${transB}`);
          assertGemmClose(gotP.data, ref, single, `portable ${m}x${n}x${k} ${transA}${transB}`);
        }
      }
    }
  }
});

test('native vs portable: syevd, potrf and trsm on random matrices', async () => {
  const nb = native();
  const r = rng(22);
  const n = 150;
  const x = rand64(n, n + 20, r);
  const spd = mul(x, transposed(x));
  const en = await nb.syevd(spd);
  const ep = await portable.syevd(spd);
  const top = en.values[n - 1];
  for (let i = 0; i < n; i++) assert.ok(Math.abs(en.values[i] - ep.values[i]) < 1e-12 * top, `λ${i}`);
  // eigenvectors agree up to sign (the spectrum of this Wishart matrix is well separated)
  for (let j = 0; j < n; j++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += en.vectors.data[i * n + j] * ep.vectors.data[i * n + j];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-6, `vector ${j}: |<vn, vp>| = ${Math.abs(dot)}`);
  }
  const ln = await nb.potrf(spd);
  const lp = await portable.potrf(spd);
  let worst = 0;
  for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(ln.data[i] - lp.data[i]));
  assert.ok(worst < 1e-10, `potrf difference ${worst}`);
  const b = rand64(n, 30, r);
  for (const trans of [false, true]) {
    const xn = await nb.trsm(ln, b, { side: 'left', lower: true, trans });
    const xp = await portable.trsm(ln, b, { side: 'left', lower: true, trans });
    let w = 0;
    let s = 0;
    for (let i = 0; i < xn.data.length; i++) {
      w = Math.max(w, Math.abs(xn.data[i] - xp.data[i]));
      s = Math.max(s, Math.abs(xp.data[i]));
    }
    assert.ok(w < 1e-10 * s, `trsm trans=${trans}: difference ${w}`);
  }
});

test('native: syevdMany gives each matrix the decomposition syevd gives it (mixed sizes, 1 and 2 threads), and restores the thread count', async () => {
  const nb = native();
  const r = rng(23);
  const sizes = [40, 73, 40, 73, 40, 1];
  const mats = sizes.map((n) => {
    const x = rand64(n, n + 5, r);
    return mul(x, transposed(x));
  });
  const before = nb.getThreads();
  for (const threads of [1, 2]) {
    nb.setThreads(threads);
    const many = await nb.syevdMany(mats);
    assert.equal(nb.getThreads(), threads);
    for (const [i, m] of mats.entries()) {
      const one = await nb.syevd(m);
      const n = m.rows;
      const top = Math.max(1, one.values[n - 1]);
      assert.equal(many[i].values.length, n);
      for (let k = 0; k < n; k++) assert.ok(Math.abs(many[i].values[k] - one.values[k]) <= 1e-12 * top, `matrix ${i} λ${k}`);
      // Reconstruction V Λ Vᵀ = A (vectors may differ in sign from a separate call).
      let worst = 0;
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let v = 0;
          for (let k = 0; k < n; k++) v += many[i].vectors.data[a * n + k] * many[i].values[k] * many[i].vectors.data[b * n + k];
          worst = Math.max(worst, Math.abs(v - m.data[a * n + b]));
        }
      }
      assert.ok(worst <= 1e-10 * top, `matrix ${i} (n = ${n}, ${threads} threads): reconstruction error ${worst}`);
    }
  }
  nb.setThreads(before);
  await assert.rejects(nb.syevdMany([mats[0], { rows: 2, cols: 2, data: Float64Array.from([1, NaN, NaN, 1]) }]), /finite/);
});

test('native: a long dgemm (2000³) does not block the event loop', async () => {
  const nb = native();
  const r = rng(23);
  const n = 2000;
  const a = rand64(n, n, r);
  const b = rand64(n, n, r);
  // The event loop turns while the product is computed: a callback queued right after the call
  // runs before the result arrives (no clock involved).
  let turned = false;
  const promise = nb.gemm(a, b);
  setImmediate(() => { turned = true; });
  assert.equal(turned, false, 'the call returned before the event loop turned');
  const c = await promise;
  assert.ok(turned, 'the event loop ran a callback while dgemm was computing');
  // spot-check entries against naive dot products
  for (const [i, j] of [[0, 0], [1999, 1999], [17, 1234], [1500, 3]]) {
    let s = 0;
    let sa = 0;
    for (let p = 0; p < n; p++) {
      s += a.data[i * n + p] * b.data[p * n + j];
      sa += Math.abs(a.data[i * n + p] * b.data[p * n + j]);
    }
    assert.ok(Math.abs(c.data[i * n + j] - s) < 1e-13 * sa * 10, `C(${i}, ${j})`);
  }
});

test('native: concurrent calls are queued and all correct', async () => {
  const nb = native();
  const r = rng(24);
  const jobs = Array.from({ length: 6 }, (_, i) => {
    const a = rand64(100 + i, 80, r);
    const b = rand64(80, 90 - i, r);
    return { a, b, ref: naiveGemm(a, b, false, false, 1, 0) };
  });
  const results = await Promise.all(jobs.map((j) => nb.gemm(j.a, j.b)));
  results.forEach((c, i) => assertGemmClose(c.data, jobs[i].ref, false, `job ${i}`));
  // a failing call in the queue does not stall the next ones
  const bad = nb.potrf({ rows: 2, cols: 2, data: new Float64Array([1, 2, 2, 1]) });
  const good = nb.gemm(jobs[0].a, jobs[0].b);
  await assert.rejects(bad);
  assertGemmClose((await good).data, jobs[0].ref, false, 'after failure');
});

test('native addon: argument validation throws TypeError/RangeError instead of crashing', () => {
  const addon = native().addon as unknown as Record<string, (...args: unknown[]) => unknown>;
  const f64 = (n: number) => new Float64Array(n);
  assert.throws(() => addon.gemm(), TypeError);
  assert.throws(() => addon.gemm([1, 2], f64(1), f64(1), 1, 1, 1, false, false, 1, 0), TypeError);
  assert.throws(() => addon.gemm(f64(4), new Float32Array(4), f64(4), 2, 2, 2, false, false, 1, 0), TypeError);
  assert.throws(() => addon.gemm(f64(4), f64(4), f64(3), 2, 2, 2, false, false, 1, 0), RangeError);
  assert.throws(() => addon.gemm(f64(4), f64(4), f64(4), -2, 2, 2, false, false, 1, 0), RangeError);
  assert.throws(() => addon.gemm(f64(4), f64(4), f64(4), 2.5, 2, 2, false, false, 1, 0), RangeError);
  assert.throws(() => addon.gemm(f64(4), f64(4), f64(4), 2, 2, 2, 1, false, 1, 0), TypeError);
  assert.throws(() => addon.gemm(f64(4), f64(4), f64(4), 2, 2, 2, false, false, '1', 0), TypeError);
  assert.throws(() => addon.gemm(new Int32Array(4), new Int32Array(4), new Int32Array(4), 2, 2, 2, false, false, 1, 0), TypeError);
  assert.throws(() => addon.syevd(f64(4), 3, f64(3), f64(9)), RangeError);
  assert.throws(() => addon.syevd(new Float32Array(4), 2, f64(2), f64(4)), TypeError);
  assert.throws(() => addon.potrf(f64(4), 2, f64(3)), RangeError);
  assert.throws(() => addon.trsm(f64(4), f64(6), 3, 2, true, true, false, 1), RangeError);
  assert.throws(() => addon.setThreads(0), RangeError);
  assert.throws(() => addon.setThreads('2'), TypeError);
});

test('native: syevd 600×600 reconstruction', async () => {
  const nb = native();
  const r = rng(25);
  const x = rand64(600, 600, r);
  const a: Matrix64 = await nb.gemm(x, x, { transB: true });
  const { values, vectors } = await nb.syevd(a);
  // ‖A − VΛVᵀ‖ via the backend itself (cheap), checked against ‖A‖
  const vl = zeros64(600, 600);
  for (let i = 0; i < 600; i++) for (let j = 0; j < 600; j++) vl.data[i * 600 + j] = vectors.data[i * 600 + j] * values[j];
  const rec = await nb.gemm(vl, vectors, { transB: true });
  let worst = 0;
  for (let i = 0; i < rec.data.length; i++) worst = Math.max(worst, Math.abs(rec.data[i] - a.data[i]));
  assert.ok(worst < 1e-11 * values[599], `reconstruction ${worst}`);
});
