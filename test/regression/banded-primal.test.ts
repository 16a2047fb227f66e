/**
 * The primal path of banded ridge (banded-primal.ts: all bands narrow, p ≤ PRIMAL_MAX columns in
 * all): the same per-unit choices, inner-CV scores and predictions as the kernel path
 * (`primal: false, lowRank: false`), and a float64 closed form solved here with plain loops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitBandedFold, GammaSchedule, type BandedOptions } from '../../src/regression/banded.js';
import { fitBandedFoldPrimal, PRIMAL_MAX, primalApplies, type PrimalSearch } from '../../src/regression/banded-primal.js';
import { blockFolds } from '../../src/regression/splits.js';
import { getBackend } from '../../src/linalg/index.js';
import { takeRows, type Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';

const backend = getBackend('auto');

/**
 * n samples, bands of `sizes` columns (columns of uneven scale), `units` targets: each unit a random
 * mix of some bands plus noise, with its own offset and magnitude; the last unit is constant.
 * One outer fold of contiguous blocks (outer blocks of n/5 rows, inner blocks of ~n/6).
 */
function problem(seed: number, n: number, sizes: readonly number[], units: number) {
  const rng = new MT19937(seed);
  const bands: Matrix64[] = sizes.map((p) => ({ rows: n, cols: p, data: Float64Array.from({ length: n * p }, (_, t) => rng.standardNormal() * (1 + (t % p) * 0.7) + ((t % p) === 0 ? 3 : 0)) }));
  const y: Matrix64 = { rows: n, cols: units, data: new Float64Array(n * units) };
  for (let j = 0; j < units; j++) {
    const offset = (rng.randomDouble() - 0.5) * 1e3;
    const mag = 10 ** (4 * rng.randomDouble() - 2);
    const beta = bands.map((x) => (rng.randomDouble() < 0.5 ? 0 : 1) * rng.standardNormal());
    const coef = bands.map((x) => Float64Array.from({ length: x.cols }, () => rng.standardNormal() / Math.sqrt(x.cols)));
    for (let i = 0; i < n; i++) {
      let s = rng.standardNormal() * 1.5;
      bands.forEach((x, b) => { for (let k = 0; k < x.cols; k++) s += beta[b] * coef[b][k] * x.data[i * x.cols + k] / (1 + k * 0.7); });
      y.data[i * units + j] = j === units - 1 ? 42 : offset + mag * s;
    }
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  const fold = blockFolds(labels, Math.round(n / 5), Math.ceil((n - Math.round(n / 5)) / 6), 't')[1];
  return { bandsTr: bands.map((x) => takeRows(x, fold.train)), bandsTe: bands.map((x) => takeRows(x, fold.test)), ytr: takeRows(y, fold.train), inner: fold.inner };
}

const CASES: { name: string; seed: number; n: number; sizes: number[]; units: number; opts: BandedOptions }[] = [
  { name: '3 bands, centred inner folds', seed: 1, n: 90, sizes: [1, 4, 8], units: 24, opts: { nIter: 20, seed: 3 } },
  { name: '4 bands, innerStandardize', seed: 2, n: 110, sizes: [1, 1, 8, 8], units: 30, opts: { nIter: 24, seed: 5, innerStandardize: true } },
  { name: '5 bands, no refinement', seed: 3, n: 120, sizes: [1, 1, 8, 8, 8], units: 40, opts: { nIter: 20, seed: 7, refine: false } },
  { name: '6 bands, refined, patience 3', seed: 4, n: 100, sizes: [2, 3, 1, 5, 4, 6], units: 50, opts: { nIter: 30, seed: 11, patience: 3, tol: 1e-3 } },
  { name: '2 bands, innerStandardize, 3-unit batches', seed: 5, n: 60, sizes: [3, 7], units: 20, opts: { nIter: 12, seed: 2, innerStandardize: true, unitBatch: 7 } },
];

for (const c of CASES) {
  test(`primal path = kernel path (${c.name}): chosen γ and α, inner-CV R², predictions`, async () => {
    const { bandsTr, bandsTe, ytr, inner } = problem(c.seed, c.n, c.sizes, c.units);
    assert.ok(primalApplies(bandsTr, ytr.rows));
    const fast = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, c.opts);
    const slow = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, { ...c.opts, primal: false, lowRank: false });
    const B = c.sizes.length;
    assert.equal(fast.nEvaluated, slow.nEvaluated);
    assert.deepEqual(Array.from(fast.alpha), Array.from(slow.alpha));
    assert.deepEqual(Array.from(fast.gamma), Array.from(slow.gamma));
    for (let j = 0; j < c.units; j++) assert.ok(Math.abs(fast.valScore[j] - slow.valScore[j]) < 2e-6, `unit ${j}: R² ${fast.valScore[j]} (primal) vs ${slow.valScore[j]} (kernel)`);
    for (let i = 0; i < slow.yhat.data.length; i++) {
      const want = slow.yhat.data[i];
      assert.ok(Math.abs(fast.yhat.data[i] - want) < 1e-6 * (1 + Math.abs(want)), `prediction ${i}: ${fast.yhat.data[i]} vs ${want}`);
    }
    assert.equal(fast.gamma.length, c.units * B);
  });
}

test('primal path at a near-zero band weight: units that chose it match the kernel path', async () => {
  // Seed 13, 5 bands: the Dirichlet(0.1) samples put < 1e-8 on some band; units choose them.
  const sizes = [1, 1, 8, 8, 8];
  const { bandsTr, bandsTe, ytr, inner } = problem(6, 120, sizes, 40);
  const opts: BandedOptions = { nIter: 16, seed: 13, refine: false };
  const fast = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, opts);
  const slow = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, { ...opts, primal: false, lowRank: false });
  let tiny = 0;
  for (let j = 0; j < 40; j++) if (Math.min(...fast.gamma.subarray(j * 5, j * 5 + 5)) < 1e-8) tiny++;
  assert.ok(tiny >= 3, `${tiny} units chose a γ with a band weight below 1e-8`);
  assert.deepEqual(Array.from(fast.gamma), Array.from(slow.gamma));
  assert.deepEqual(Array.from(fast.alpha), Array.from(slow.alpha));
  for (let j = 0; j < 40; j++) assert.ok(Math.abs(fast.valScore[j] - slow.valScore[j]) < 2e-6, `unit ${j}`);
  for (let i = 0; i < slow.yhat.data.length; i++) assert.ok(Math.abs(fast.yhat.data[i] - slow.yhat.data[i]) < 1e-6 * (1 + Math.abs(slow.yhat.data[i])), `prediction ${i}`);
});

/** Solves the p × p system m x = r (Gaussian elimination with partial pivoting; m, r overwritten). */
function solve(m: number[][], r: number[]): number[] {
  const p = r.length;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let i = c + 1; i < p; i++) if (Math.abs(m[i][c]) > Math.abs(m[piv][c])) piv = i;
    [m[c], m[piv]] = [m[piv], m[c]];
    [r[c], r[piv]] = [r[piv], r[c]];
    for (let i = c + 1; i < p; i++) {
      const f = m[i][c] / m[c][c];
      for (let k = c; k < p; k++) m[i][k] -= f * m[c][k];
      r[i] -= f * r[c];
    }
  }
  const x = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) { let s = r[i]; for (let k = i + 1; k < p; k++) s -= m[i][k] * x[k]; x[i] = s / m[i][i]; }
  return x;
}

/**
 * Ridge with per-column penalties α/γ_b in plain float64 loops: the bands centred by the `fit` rows'
 * means, β = (XᵀX + α Γ⁻¹)⁻¹ Xᵀ(y − ȳ), predictions ȳ + X_e β on the `evalRows` of `evalBands`.
 */
function ridgeByHand(bands: readonly Matrix64[], y: Matrix64, unit: number, fit: ArrayLike<number>, evalBands: readonly Matrix64[], evalRows: ArrayLike<number>, gamma: ArrayLike<number>, alpha: number): number[] {
  const cols: { b: number; k: number; mean: number }[] = [];
  bands.forEach((x, b) => { for (let k = 0; k < x.cols; k++) { let m = 0; for (let i = 0; i < fit.length; i++) m += x.data[fit[i] * x.cols + k]; cols.push({ b, k, mean: m / fit.length }); } });
  const p = cols.length;
  const row = (src: readonly Matrix64[], i: number) => cols.map(({ b, k, mean }) => src[b].data[i * src[b].cols + k] - mean);
  let ym = 0;
  for (let i = 0; i < fit.length; i++) ym += y.data[fit[i] * y.cols + unit];
  ym /= fit.length;
  const m = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const r = new Array<number>(p).fill(0);
  for (let i = 0; i < fit.length; i++) {
    const x = row(bands, fit[i]);
    const t = y.data[fit[i] * y.cols + unit] - ym;
    for (let a = 0; a < p; a++) { r[a] += x[a] * t; for (let c = 0; c < p; c++) m[a][c] += x[a] * x[c]; }
  }
  for (let a = 0; a < p; a++) m[a][a] += alpha / gamma[cols[a].b];
  const beta = solve(m, r);
  return Array.from(evalRows, (i) => { const x = row(evalBands, i); let s = ym; for (let a = 0; a < p; a++) s += x[a] * beta[a]; return s; });
}

test('primal path: inner-CV R² and predictions at the chosen (γ, α) equal ridge normal equations solved by hand', async () => {
  const sizes = [1, 3, 5, 2];
  const { bandsTr, bandsTe, ytr, inner } = problem(9, 96, sizes, 6);
  const alpha = 3.5;
  const fit = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, { alphas: [alpha], nIter: 4, seed: 21, patience: 100 });
  const B = sizes.length;
  const testRows = Array.from({ length: bandsTe[0].rows }, (_, i) => i);
  for (let u = 0; u < 5; u++) {
    const gamma = fit.gamma.subarray(u * B, u * B + B);
    assert.ok(gamma.every((g) => g > 0), `unit ${u}: γ ${gamma}`);
    let sse = 0;
    let sse0 = 0;
    for (const { train, val } of inner) {
      const tr = Array.from(train);
      let ym = 0;
      for (const i of tr) ym += ytr.data[i * ytr.cols + u] / tr.length;
      const pred = ridgeByHand(bandsTr, ytr, u, tr, bandsTr, Array.from(val), gamma, alpha);
      val.forEach((i, k) => { const v = ytr.data[i * ytr.cols + u]; sse += (v - pred[k]) ** 2; sse0 += (v - ym) ** 2; });
    }
    const want = 1 - sse / sse0;
    assert.ok(Math.abs(fit.valScore[u] - want) < 1e-10, `unit ${u}: R² ${fit.valScore[u]} vs by hand ${want}`);
    assert.equal(fit.alpha[u], alpha);
    const all = Array.from({ length: ytr.rows }, (_, i) => i);
    const yhat = ridgeByHand(bandsTr, ytr, u, all, bandsTe, testRows, gamma, alpha);
    yhat.forEach((w, i) => assert.ok(Math.abs(fit.yhat.data[i * 6 + u] - w) < 1e-9 * (1 + Math.abs(w)), `unit ${u} row ${i}: ${fit.yhat.data[i * 6 + u]} vs ${w}`));
  }
  // The constant unit: R² 0, predictions its value.
  assert.equal(fit.valScore[5], 0);
  for (let i = 0; i < testRows.length; i++) assert.equal(fit.yhat.data[i * 6 + 5], 42);
});

test('gammaSteps: per-unit descent on the log band penalties raises every unit\'s inner-CV R² (to the hand-solved value at its new γ, α); 2 bands are left alone', async () => {
  const sizes = [1, 3, 5, 2, 4];
  const B = sizes.length;
  const units = 10;
  const { bandsTr, bandsTe, ytr, inner } = problem(12, 110, sizes, units);
  const opts: BandedOptions = { nIter: 4, seed: 5, alphas: [0.1, 1, 10, 100, 1000] };
  const base = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, opts);
  const fit = await fitBandedFold(backend, bandsTr, ytr, bandsTe, inner, { ...opts, gammaSteps: 15 });
  const testRows = Array.from({ length: bandsTe[0].rows }, (_, i) => i);
  const all = Array.from({ length: ytr.rows }, (_, i) => i);
  let gain = 0;
  for (let u = 0; u < units - 1; u++) {
    const gamma = fit.gamma.subarray(u * B, u * B + B);
    assert.ok(Math.abs(gamma.reduce((a, v) => a + v, 0) - 1) < 1e-12 && gamma.every((g) => g > 0), `unit ${u}: γ ${gamma}`);
    let sse = 0;
    let sse0 = 0;
    for (const { train, val } of inner) {
      const tr = Array.from(train);
      let ym = 0;
      for (const i of tr) ym += ytr.data[i * units + u] / tr.length;
      const pred = ridgeByHand(bandsTr, ytr, u, tr, bandsTr, Array.from(val), gamma, fit.alpha[u]);
      val.forEach((i, k) => { const v = ytr.data[i * units + u]; sse += (v - pred[k]) ** 2; sse0 += (v - ym) ** 2; });
    }
    const want = 1 - sse / sse0;
    assert.ok(Math.abs(fit.valScore[u] - want) < 1e-9, `unit ${u}: R² ${fit.valScore[u]} vs by hand ${want}`);
    assert.ok(fit.valScore[u] >= base.valScore[u], `unit ${u}: ${fit.valScore[u]} < search ${base.valScore[u]}`);
    gain += (fit.valScore[u] - base.valScore[u]) / (units - 1);
    const yhat = ridgeByHand(bandsTr, ytr, u, all, bandsTe, testRows, gamma, fit.alpha[u]);
    yhat.forEach((w, i) => assert.ok(Math.abs(fit.yhat.data[i * units + u] - w) < 1e-9 * (1 + Math.abs(w)), `unit ${u} row ${i}: ${fit.yhat.data[i * units + u]} vs ${w}`));
  }
  assert.ok(gain > 0.005, `mean inner-CV R² gain ${gain}`);
  // Two bands: no descent (the option is for 3+ bands).
  const two = problem(13, 80, [3, 4], 6);
  const a = await fitBandedFold(backend, two.bandsTr, two.ytr, two.bandsTe, two.inner, { nIter: 6, seed: 1 });
  const b = await fitBandedFold(backend, two.bandsTr, two.ytr, two.bandsTe, two.inner, { nIter: 6, seed: 1, gammaSteps: 10 });
  assert.deepEqual(b, a);
});

/** The simplest search bookkeeping: every sample evaluated, per unit the first best score. */
function plainSearch(nUnits: number): PrimalSearch {
  const s = { score: new Float64Array(nUnits).fill(-Infinity), gamma: new Int32Array(nUnits), alpha: new Int32Array(nUnits), evaluated: 0, sampleSum: [] as number[],
    offer(g: number, u0: number, chosen: Int32Array, score: Float64Array) { score.forEach((v, j) => { if (v > s.score[u0 + j]) { s.score[u0 + j] = v; s.gamma[u0 + j] = g; s.alpha[u0 + j] = chosen[j]; } }); },
    done(g: number) { s.evaluated = g + 1; return false; } };
  return s;
}

test('primal path without room for the feature cache (rebuilt per sample) gives the same fit bit for bit', async () => {
  const { bandsTr, bandsTe, ytr, inner } = problem(8, 80, [2, 5, 3], 17);
  const alphas = [0.1, 1, 10, 100];
  const run = (cacheBytes?: number) => fitBandedFoldPrimal(backend, bandsTr, ytr, bandsTe, inner, new GammaSchedule(4, 10, 3, true), plainSearch(17), { alphas, unitBatch: 5, cacheBytes });
  const cached = await run();
  const rebuilt = await run(0);
  assert.equal(cached.nEvaluated, 10);
  assert.deepEqual(rebuilt, cached);
  assert.ok(Array.from(cached.valScore.subarray(0, 16)).some((v) => v > 0.1));
});

test('primalApplies: several bands, at most PRIMAL_MAX columns, fewer than the training rows', () => {
  const m = (c: number): Matrix64 => ({ rows: 1, cols: c, data: new Float64Array(c) });
  assert.ok(primalApplies([m(1), m(8), m(8)], 627));
  assert.ok(!primalApplies([m(8)], 627));
  assert.ok(!primalApplies([m(26), m(1600)], 627));
  assert.ok(primalApplies([m(PRIMAL_MAX - 1), m(1)], 627));
  assert.ok(!primalApplies([m(PRIMAL_MAX), m(1)], 627));
  assert.ok(!primalApplies([m(20), m(20)], 40));
});
