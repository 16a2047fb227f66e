import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitBandedFold } from '../../src/regression/banded.js';
import { fitFold } from '../../src/regression/ridge.js';
import { labelFolds } from '../../src/regression/splits.js';
import { getBackend } from '../../src/linalg/index.js';
import { takeRows, type Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { bandWeightSamples, gammaVariate } from '../../src/random/dirichlet.js';

const backend = getBackend('auto');

function problem(seed: number, n: number, p1: number, p2: number, units: number) {
  const rng = new MT19937(seed);
  const mk = (r: number, c: number): Matrix64 => ({ rows: r, cols: c, data: Float64Array.from({ length: r * c }, () => rng.standardNormal()) });
  const x1 = mk(n, p1);
  const x2 = mk(n, p2);
  const y = mk(n, units);
  // Unit j depends on band 1 with weight j/units and on band 2's first column.
  for (let i = 0; i < n; i++) for (let j = 0; j < units; j++) {
    let s = 0;
    for (let k = 0; k < p1; k++) s += x1.data[i * p1 + k] * 0.2 * (j / units);
    y.data[i * units + j] += s + 0.8 * x2.data[i * p2];
  }
  const labels = Array.from({ length: n }, (_, i) => String(Math.floor(i / (n / 6))));
  const fold = labelFolds(labels, 't')[0];
  return { x1, x2, y, fold };
}

test('band weights: first sample uniform, then Dirichlet samples on the simplex, reproducible by seed', () => {
  const a = bandWeightSamples(new MT19937(3), 50, 3);
  const b = bandWeightSamples(new MT19937(3), 50, 3);
  assert.deepEqual(a, b);
  assert.deepEqual(Array.from(a[0]), [1 / 3, 1 / 3, 1 / 3]);
  for (const g of a) { assert.ok(Math.abs(g.reduce((s, v) => s + v, 0) - 1) < 1e-12); assert.ok(g.every((v) => v >= 0)); }
  // Gamma(k) has mean k: a large sample mean is close (SE = √(k/n)).
  const rng = new MT19937(1);
  for (const k of [0.1, 1, 3.5]) {
    let m = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) m += gammaVariate(rng, k);
    assert.ok(Math.abs(m / n - k) < 5 * Math.sqrt(k / n), `Gamma(${k}) mean ${m / n}`);
  }
});

test('banded ridge with uniform band weights equals plain ridge with the penalties scaled by the number of bands', async () => {
  const { x1, x2, y, fold } = problem(1, 120, 40, 30, 6);
  const bandsTr = [takeRows(x1, fold.train), takeRows(x2, fold.train)];
  const bandsTe = [takeRows(x1, fold.test), takeRows(x2, fold.test)];
  const ytr = takeRows(y, fold.train);
  const alphas = [0.5, 2, 8, 32, 128, 512];
  const banded = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { alphas, nIter: 1 });
  const xtr: Matrix64 = { rows: ytr.rows, cols: 70, data: new Float64Array(ytr.rows * 70) };
  const xte: Matrix64 = { rows: bandsTe[0].rows, cols: 70, data: new Float64Array(bandsTe[0].rows * 70) };
  for (const [dst, [a, b]] of [[xtr, bandsTr], [xte, bandsTe]] as const) {
    for (let i = 0; i < dst.rows; i++) { dst.data.set(a.data.subarray(i * 40, i * 40 + 40), i * 70); dst.data.set(b.data.subarray(i * 30, i * 30 + 30), i * 70 + 40); }
  }
  const plain = await fitFold(backend, xtr, ytr, xte, fold.inner, { estimator: 'ridge', alphas: alphas.map((a) => a * 2) });
  assert.deepEqual(Array.from(banded.alpha, (a) => a * 2), Array.from(plain.alpha));
  for (let i = 0; i < plain.yhat.data.length; i++) assert.ok(Math.abs(banded.yhat.data[i] - plain.yhat.data[i]) < 1e-4 * (1 + Math.abs(plain.yhat.data[i])));
});

test('the low-rank (Woodbury) path gives the kernel path\'s choices and predictions', async () => {
  const { x1, x2, y, fold } = problem(2, 150, 60, 5, 8);
  const bandsTr = [takeRows(x1, fold.train), takeRows(x2, fold.train)];
  const bandsTe = [takeRows(x1, fold.test), takeRows(x2, fold.test)];
  const ytr = takeRows(y, fold.train);
  const opts = { nIter: 25, seed: 4 };
  const fast = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, opts);
  const slow = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { ...opts, lowRank: false });
  assert.equal(fast.nEvaluated, slow.nEvaluated);
  assert.deepEqual(Array.from(fast.alpha), Array.from(slow.alpha));
  assert.deepEqual(Array.from(fast.gamma), Array.from(slow.gamma));
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(fast.valScore[j] - slow.valScore[j]) < 1e-5);
  for (let i = 0; i < slow.yhat.data.length; i++) assert.ok(Math.abs(fast.yhat.data[i] - slow.yhat.data[i]) < 1e-4 * (1 + Math.abs(slow.yhat.data[i])), `prediction ${i}`);
  // Units that depend on band 2 put weight on it.
  const B = 2;
  assert.ok(fast.gamma[0 * B + 1] > 0.5, `unit 0 γ₂ = ${fast.gamma[1]}`);
});

test('banded fits with a fixed seed are bitwise reproducible run to run', async () => {
  const { x1, x2, y, fold } = problem(3, 120, 30, 20, 4);
  const run = () => fitBandedFold(backend, [takeRows(x1, fold.train), takeRows(x2, fold.train)], takeRows(y, fold.train), [takeRows(x1, fold.test), takeRows(x2, fold.test)], fold.inner, { nIter: 20, seed: 9 });
  const a = await run();
  const b = await run();
  assert.deepEqual(a.yhat.data, b.yhat.data);
  assert.deepEqual(a.gamma, b.gamma);
});
