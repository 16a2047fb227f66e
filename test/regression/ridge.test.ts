import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ALPHAS, fitFold } from '../../src/regression/ridge.js';
import { labelFolds } from '../../src/regression/splits.js';
import { PortableBackend } from '../../src/linalg/portable.js';
import { loadNativeBackend } from '../../src/linalg/native.js';
import type { Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';

/** The fold fit maps targets to predictions in float32 (as the paper does), hence 2e-6 relative tolerances.
 *  Independent reference: ridge by normal equations and Gaussian elimination (no eigendecomposition). */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k < m[r].length; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row.slice(n).map((v) => v / m[i][i]));
}

function rows(m: Matrix64, idx: ArrayLike<number>): number[][] {
  return Array.from(idx, (i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

/** Ridge with intercept: centre by training means, w = (XᵀX + αI)⁻¹ Xᵀ y. Returns predictions. */
function refRidge(xtr: number[][], ytr: number[][], xev: number[][], alpha: number): number[][] {
  const p = xtr[0].length;
  const u = ytr[0].length;
  const mx = Array.from({ length: p }, (_, j) => xtr.reduce((a, r) => a + r[j], 0) / xtr.length);
  const my = Array.from({ length: u }, (_, j) => ytr.reduce((a, r) => a + r[j], 0) / ytr.length);
  const xc = xtr.map((r) => r.map((v, j) => v - mx[j]));
  const yc = ytr.map((r) => r.map((v, j) => v - my[j]));
  const gram = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => xc.reduce((a, r) => a + r[i] * r[j], 0) + (i === j ? alpha : 0)));
  const xty = Array.from({ length: p }, (_, i) => Array.from({ length: u }, (_, j) => xc.reduce((a, r, k) => a + r[i] * yc[k][j], 0)));
  const w = solve(gram, xty);
  return xev.map((r) => Array.from({ length: u }, (_, j) => my[j] + r.reduce((a, v, i) => a + (v - mx[i]) * w[i][j], 0)));
}

function randomMatrix(rng: MT19937, r: number, c: number): Matrix64 {
  const data = new Float64Array(r * c);
  for (let i = 0; i < data.length; i++) data[i] = rng.standardNormal();
  return { rows: r, cols: c, data };
}

async function checkAgainstReference(p: number): Promise<void> {
  const rng = new MT19937(7);
  const n = 40;
  const nUnits = 5;
  const x = randomMatrix(rng, n, p);
  const w = randomMatrix(rng, p, nUnits);
  const y: Matrix64 = { rows: n, cols: nUnits, data: new Float64Array(n * nUnits) };
  for (let i = 0; i < n; i++) for (let j = 0; j < nUnits; j++) {
    let s = 0.5 * rng.standardNormal() * (j + 1);
    for (let k = 0; k < p; k++) s += x.data[i * p + k] * w.data[k * nUnits + j] * (j === 4 ? 0 : 0.3);
    y.data[i * nUnits + j] = s + 10 * j;
  }
  const labels = Array.from({ length: n }, (_, i) => String(Math.floor(i / 8)));
  const fold = labelFolds(labels, 't')[1];
  const xtr: Matrix64 = { rows: fold.train.length, cols: p, data: Float64Array.from(rows(x, fold.train).flat()) };
  const xte: Matrix64 = { rows: fold.test.length, cols: p, data: Float64Array.from(rows(x, fold.test).flat()) };
  const ytr: Matrix64 = { rows: fold.train.length, cols: nUnits, data: Float64Array.from(rows(y, fold.train).flat()) };
  const alphas = [0.5, 4, 32, 256, 2048];

  // Reference α choice: pooled inner-CV R² with the 1e-10·ln α tie-break (§4.2).
  const xtrRows = rows(xtr, Array.from({ length: xtr.rows }, (_, i) => i));
  const ytrRows = rows(ytr, Array.from({ length: ytr.rows }, (_, i) => i));
  const sse = alphas.map(() => new Array(nUnits).fill(0));
  const sse0 = new Array(nUnits).fill(0);
  for (const inner of fold.inner) {
    const xa = Array.from(inner.train, (k) => xtrRows[k]);
    const ya = Array.from(inner.train, (k) => ytrRows[k]);
    const xv = Array.from(inner.val, (k) => xtrRows[k]);
    const yv = Array.from(inner.val, (k) => ytrRows[k]);
    const my = Array.from({ length: nUnits }, (_, j) => ya.reduce((a, r) => a + r[j], 0) / ya.length);
    yv.forEach((r) => r.forEach((v, j) => (sse0[j] += (v - my[j]) ** 2)));
    alphas.forEach((a, ai) => {
      const pred = refRidge(xa, ya, xv, a);
      pred.forEach((r, i) => r.forEach((v, j) => (sse[ai][j] += (yv[i][j] - v) ** 2)));
    });
  }
  const chosen = Array.from({ length: nUnits }, (_, j) => {
    let best = -Infinity; let bi = 0;
    alphas.forEach((a, ai) => { const s = 1 - sse[ai][j] / sse0[j] + 1e-10 * Math.log(a); if (s > best) { best = s; bi = ai; } });
    return bi;
  });
  const xteRows = rows(xte, Array.from({ length: xte.rows }, (_, i) => i));
  const expected = chosen.map((ai) => refRidge(xtrRows, ytrRows, xteRows, alphas[ai]));

  for (const backend of [new PortableBackend(), loadNativeBackend()]) {
    assert.ok(backend, 'the native backend must be built (apt-get install libopenblas-dev liblapacke-dev; npm ci)');
    // 'factored': the form used where the maps would be large (thousands of samples; issue 17);
    // 'map' / 'basis': the α search's maps of every penalty / of a basis of the filters (issue 13).
    for (const form of ['auto', 'map', 'basis', 'factored'] as const) {
      const fit = await fitFold(backend, xtr, ytr, xte, fold.inner, { estimator: 'ridge', alphas, unitBatch: 2, form });
      assert.deepEqual(Array.from(fit.alpha), chosen.map((ai) => alphas[ai]), `${backend.name} ${form}: chosen α`);
      for (let j = 0; j < nUnits; j++) {
        for (let i = 0; i < xte.rows; i++) {
          const got = fit.yhat.data[i * nUnits + j];
          const want = expected[j][i][j];
          assert.ok(Math.abs(got - want) < 2e-6 * (1 + Math.abs(want)), `${backend.name} ${form} p=${p} unit ${j} row ${i}: ${got} vs ${want}`);
        }
      }
    }
  }
}

test('ridge fold fit equals normal-equation ridge with pooled inner-CV α selection (primal form, p < n)', async () => {
  await checkAgainstReference(6);
});

test('ridge fold fit equals normal-equation ridge in the kernel form (p > n)', async () => {
  await checkAgainstReference(60);
});

test('OLS on a full-rank design is the least-squares fit; with p > n it interpolates the training data (min-norm)', async () => {
  const rng = new MT19937(3);
  const backend = new PortableBackend();
  const x = randomMatrix(rng, 20, 3);
  const y = randomMatrix(rng, 20, 2);
  const fit = await fitFold(backend, x, y, x, [], { estimator: 'ols' });
  const xr = rows(x, Array.from({ length: 20 }, (_, i) => i));
  const yr = rows(y, Array.from({ length: 20 }, (_, i) => i));
  const want = refRidge(xr, yr, xr, 0);
  for (let i = 0; i < 20; i++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(fit.yhat.data[i * 2 + j] - want[i][j]) < 2e-6);
  // p > n: training predictions reproduce y (the minimum-norm interpolant).
  const xw = randomMatrix(rng, 10, 30);
  const yw = randomMatrix(rng, 10, 1);
  const fitW = await fitFold(backend, xw, yw, xw, [], { estimator: 'ols' });
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(fitW.yhat.data[i] - yw.data[i]) < 2e-5);
});

test('the default α grid is 2^-5 … 2^19 (25 values, METHODS §4.2)', () => {
  assert.equal(DEFAULT_ALPHAS.length, 25);
  assert.equal(DEFAULT_ALPHAS[0], 1 / 32);
  assert.equal(DEFAULT_ALPHAS[24], 524288);
});
