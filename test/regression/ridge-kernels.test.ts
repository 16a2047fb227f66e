import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ridgeKernels } from '../../src/regression/ridge-kernels.js';
import { fitFold } from '../../src/regression/ridge.js';
import { PortableBackend } from '../../src/linalg/portable.js';
import { loadNativeBackend } from '../../src/linalg/native.js';
import type { Backend } from '../../src/linalg/backend.js';
import type { Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';

const backends: Array<[string, Backend]> = [['portable', new PortableBackend()]];
const native = loadNativeBackend();
if (native) backends.push(['native', native]);

function random(rows: number, cols: number, seed: number, offset = 0, scale = 1): Matrix64 {
  const rng = new MT19937(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => offset + scale * rng.standardNormal()) };
}

for (const [name, backend] of backends) {
  test(`${name}: ridge kernels — gather standardises y[rows, cols] per column (float64 mean, max-abs scale; constant column → 0)`, async () => {
    const k = ridgeKernels(backend);
    assert.equal(k.kind, name === 'native' ? 'native' : 'typescript');
    const y = random(9, 5, 1, 1e4, 3);
    for (let i = 0; i < 9; i++) y.data[i * 5 + 3] = 7.25; // a constant unit
    const rows = Int32Array.from([8, 0, 3, 4, 6]);
    const cols = Int32Array.from([4, 1, 3]);
    for (const out of [new Float64Array(15), new Float32Array(15)]) {
      const { mean, scale } = await k.gather(y, rows, cols, out);
      cols.forEach((c, j) => {
        const v = Array.from(rows, (r) => y.data[r * 5 + c]);
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        const s = c === 3 ? 0 : Math.max(...v.map((x) => Math.abs(x - m)));
        assert.ok(Math.abs(mean[j] - m) <= 1e-12 * Math.abs(m), `mean ${j}`);
        assert.equal(scale[j], s);
        v.forEach((x, i) => {
          const want = s > 0 ? (x - m) / s : 0;
          assert.ok(Math.abs(out[i * 3 + j] - want) <= (out instanceof Float32Array ? 1e-7 : 1e-12), `value ${i},${j}`);
        });
      });
    }
  });

  test(`${name}: ridge kernels — innerSse accumulates every penalty's validation errors in y's units (direct float64 sums)`, async () => {
    const k = ridgeKernels(backend);
    const nA = 3;
    const y = random(12, 7, 2, -50, 4);
    const train = Int32Array.from([0, 1, 2, 5, 6, 7, 9, 10]);
    const val = Int32Array.from([3, 4, 11]);
    const cols = Int32Array.from([6, 0, 2, 5]);
    const map = random(nA * val.length, train.length, 3, 0, 0.2);
    const s = { rows: map.rows, cols: map.cols, data: Float32Array.from(map.data) };
    const sse = new Float64Array(nA * cols.length).fill(1);
    const sse0 = new Float64Array(cols.length).fill(2);
    await k.innerSse(s, nA, y, train, val, cols, sse, sse0);
    cols.forEach((c, j) => {
      const t = Array.from(train, (r) => y.data[r * 7 + c]);
      const m = t.reduce((a, b) => a + b, 0) / t.length;
      const sc = Math.max(...t.map((x) => Math.abs(x - m)));
      const z = t.map((x) => Math.fround((x - m) / sc));
      let e0 = 2;
      val.forEach((r) => (e0 += (y.data[r * 7 + c] - m) ** 2));
      assert.ok(Math.abs(sse0[j] - e0) <= 1e-12 * e0, `sse0 ${j}`);
      for (let a = 0; a < nA; a++) {
        let e = 1;
        val.forEach((r, i) => {
          let p = 0;
          z.forEach((zv, q) => (p += s.data[(a * val.length + i) * train.length + q] * zv));
          e += (y.data[r * 7 + c] - m - sc * p) ** 2;
        });
        assert.ok(Math.abs(sse[a * cols.length + j] - e) <= 1e-5 * e, `sse ${a},${j}: ${sse[a * cols.length + j]} vs ${e}`);
      }
    });
  });

  test(`${name}: ridge kernels — innerSseBasis combines basis maps per penalty, then accumulates innerSse's errors (direct float64 sums)`, async () => {
    const k = ridgeKernels(backend);
    const nA = 4;
    const nB = 2;
    const y = random(12, 7, 6, 30, 3);
    const train = Int32Array.from([0, 2, 3, 5, 6, 8, 9, 11]);
    const val = Int32Array.from([1, 4, 7, 10]);
    const cols = Int32Array.from([5, 1, 6]);
    const maps = random(nB * val.length, train.length, 7, 0, 0.2);
    const s = { rows: maps.rows, cols: maps.cols, data: Float32Array.from(maps.data) };
    const c = random(nA, nB, 8);
    const coef = { rows: nA, cols: nB, data: Float32Array.from(c.data) };
    const sse = new Float64Array(nA * cols.length).fill(1);
    const sse0 = new Float64Array(cols.length).fill(2);
    await k.innerSseBasis(s, coef, y, train, val, cols, sse, sse0);
    cols.forEach((col, j) => {
      const t = Array.from(train, (r) => y.data[r * 7 + col]);
      const m = t.reduce((a, b) => a + b, 0) / t.length;
      const sc = Math.max(...t.map((x) => Math.abs(x - m)));
      const z = t.map((x) => Math.fround((x - m) / sc));
      let e0 = 2;
      val.forEach((r) => (e0 += (y.data[r * 7 + col] - m) ** 2));
      assert.ok(Math.abs(sse0[j] - e0) <= 1e-12 * e0, `sse0 ${j}`);
      for (let a = 0; a < nA; a++) {
        let e = 1;
        val.forEach((r, i) => {
          let p = 0;
          for (let b = 0; b < nB; b++) z.forEach((zv, q) => (p += coef.data[a * nB + b] * s.data[(b * val.length + i) * train.length + q] * zv));
          e += (y.data[r * 7 + col] - m - sc * p) ** 2;
        });
        assert.ok(Math.abs(sse[a * cols.length + j] - e) <= 1e-5 * e, `sse ${a},${j}: ${sse[a * cols.length + j]} vs ${e}`);
      }
    });
  });

  test(`${name}: ridge kernels — innerSseGroups gives each group (basis and plain maps) the sums innerSseBasis gives it, with one sse0, on 1 and 2 threads`, async () => {
    const k = ridgeKernels(backend);
    const nA = 3;
    const y = random(40, 600, 9, -5, 2);
    const train = Int32Array.from({ length: 30 }, (_, i) => i + (i >= 10 ? 10 : 0));
    const val = Int32Array.from({ length: 10 }, (_, i) => 10 + i);
    const cols = Int32Array.from({ length: 530 }, (_, j) => (j * 7) % 600); // more than one block of units
    const nv = val.length;
    const na = train.length;
    const nBs = [2, nA, 2]; // 7 · n_val map rows: not a whole number of the 6-row tiles of the AVX-512 product
    const groups = nBs.map((nB, g) => {
      const m = random(nB * nv, na, 20 + g, 0, 0.1);
      const c = g === 1 ? { rows: nA, cols: nA, data: Float64Array.from({ length: nA * nA }, (_, i) => (i % (nA + 1) === 0 ? 1 : 0)) } : random(nA, nB, 30 + g);
      return { s: { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) }, coef: { rows: nA, cols: nB, data: Float32Array.from(c.data) } };
    });
    const stacked = {
      s: { rows: groups.reduce((a, g) => a + g.s.rows, 0), cols: na, data: Float32Array.from(groups.flatMap((g) => Array.from(g.s.data))) },
      nB: Int32Array.from(nBs),
      coef: Float32Array.from(groups.flatMap((g) => Array.from(g.coef.data))),
      nA,
    };
    const b = cols.length;
    const sse0One = new Float64Array(b);
    const want = groups.map((g, gi) => {
      const sse = new Float64Array(nA * b);
      return k.innerSseBasis(g.s, g.coef, y, train, val, cols, sse, gi === 0 ? sse0One : new Float64Array(b)).then(() => sse);
    });
    const wanted = await Promise.all(want);
    for (const threads of [1, 2]) {
      const sse = new Float64Array(nBs.length * nA * b).fill(0.5);
      const sse0 = new Float64Array(b).fill(0.25);
      await k.innerSseGroups(stacked, y, train, val, cols, sse, sse0, threads);
      for (let j = 0; j < b; j++) assert.ok(Math.abs(sse0[j] - 0.25 - sse0One[j]) <= 1e-12 * sse0One[j], `sse0 ${j}`);
      for (let g = 0; g < nBs.length; g++) {
        for (let i = 0; i < nA * b; i++) {
          const w = wanted[g][i];
          assert.ok(Math.abs(sse[g * nA * b + i] - 0.5 - w) <= 1e-6 * w, `${threads} threads, group ${g}, entry ${i}: ${sse[g * nA * b + i] - 0.5} vs ${w}`);
        }
      }
    }
  });

  test(`${name}: fitFold on the training rows of a larger y (trainRows, deviations) equals fitFold on the copied rows`, async () => {
    const n = 40;
    const x = random(n, 6, 4);
    const y = random(n, 9, 5, 300, 2);
    const train = Int32Array.from({ length: 32 }, (_, i) => (i < 16 ? i : i + 8)); // rows 16…23 are the test fold
    const test = Int32Array.from({ length: 8 }, (_, i) => 16 + i);
    const take = (m: Matrix64, idx: Int32Array): Matrix64 => ({ rows: idx.length, cols: m.cols, data: Float64Array.from({ length: idx.length * m.cols }, (_, q) => m.data[idx[Math.floor(q / m.cols)] * m.cols + (q % m.cols)]) });
    const inner = [0, 1, 2, 3].map((g) => ({
      train: Int32Array.from({ length: 24 }, (_, i) => (i < 8 * g ? i : i + 8)),
      val: Int32Array.from({ length: 8 }, (_, i) => 8 * g + i),
    }));
    const xtr = take(x, train);
    const xte = take(x, test);
    const copied = await fitFold(backend, xtr, take(y, train), xte, inner, { estimator: 'ridge', unitBatch: 4 });
    const inPlace = await fitFold(backend, xtr, y, xte, inner, { estimator: 'ridge', unitBatch: 4, trainRows: train, deviations: true });
    assert.deepEqual(Array.from(inPlace.alpha), Array.from(copied.alpha));
    for (let j = 0; j < 9; j++) {
      let m = 0;
      train.forEach((r) => (m += y.data[r * 9 + j]));
      m /= train.length;
      for (let i = 0; i < 8; i++) {
        const want = copied.yhat.data[i * 9 + j] - m;
        assert.ok(Math.abs(inPlace.yhat.data[i * 9 + j] - want) <= 1e-9 * (1 + Math.abs(want)), `unit ${j} row ${i}`);
      }
    }
  });
}
