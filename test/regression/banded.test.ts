import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/io/dataset.js';
import { writeNpy } from '../../src/io/npy.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
import { fitBandedFold, kernelSearchMaps } from '../../src/regression/banded.js';
import { ridgeKernels } from '../../src/regression/ridge-kernels.js';
import { fitFold } from '../../src/regression/ridge.js';
import { labelFolds } from '../../src/regression/splits.js';
import { getBackend } from '../../src/linalg/index.js';
import { takeRows, type Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { bandWeightSamples, gammaVariate } from '../../src/random/dirichlet.js';
import { pooledInnerR2 } from './banded-closed-form.js';

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

/**
 * One outer fold of problem(seed, 150, 60, 5, units) (its designs through `design`) fitted on the
 * low-rank path and on the kernel path (lowRank: false) with `opts`; asserts that both chose the
 * same (γ, α) per unit and predict the same to 1e-4.
 */
async function lowRankAgainstKernel(seed: number, units: number, opts: Parameters<typeof fitBandedFold>[5], design = (m: Matrix64) => m) {
  const { x1, x2, y, fold } = problem(seed, 150, 60, 5, units);
  const bandsTr = [takeRows(design(x1), fold.train), takeRows(design(x2), fold.train)];
  const bandsTe = [takeRows(design(x1), fold.test), takeRows(design(x2), fold.test)];
  const ytr = takeRows(y, fold.train);
  const fast = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, opts);
  const slow = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { ...opts, lowRank: false });
  assert.deepEqual(Array.from(fast.alpha), Array.from(slow.alpha));
  assert.deepEqual(Array.from(fast.gamma), Array.from(slow.gamma));
  for (let i = 0; i < slow.yhat.data.length; i++) assert.ok(Math.abs(fast.yhat.data[i] - slow.yhat.data[i]) < 1e-4 * (1 + Math.abs(slow.yhat.data[i])), `prediction ${i}`);
  return { fast, slow, bandsTr, bandsTe, ytr, fold };
}

test('the low-rank (Woodbury) path gives the kernel path\'s choices and predictions', async () => {
  const { fast, slow } = await lowRankAgainstKernel(2, 8, { nIter: 25, seed: 4 });
  assert.equal(fast.nEvaluated, slow.nEvaluated);
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(fast.valScore[j] - slow.valScore[j]) < 1e-5);
  // Units that depend on band 2 put weight on it.
  const B = 2;
  assert.ok(fast.gamma[0 * B + 1] > 0.5, `unit 0 γ₂ = ${fast.gamma[1]}`);
});

test('the low-rank refit predicts the units of one band weights together, each at its own α, as the kernel path does', async () => {
  const { fast } = await lowRankAgainstKernel(3, 40, { nIter: 6, seed: 2, reduced: false });
  // The case this checks: some band weights chosen by units with different penalties.
  const alphasOf = new Map<string, Set<number>>();
  for (let u = 0; u < 40; u++) { const key = `${fast.gamma[2 * u]}`; alphasOf.set(key, (alphasOf.get(key) ?? new Set()).add(fast.alpha[u])); }
  assert.ok([...alphasOf.values()].some((set) => set.size > 1), 'no γ shared by units with different α');
});

test('the kernel path evaluates its samples in chunks yet stops where the one-at-a-time low-rank search stops (patience rule), with its choices', async () => {
  const { x1, x2, y, fold } = problem(5, 150, 60, 5, 8);
  const bandsTr = [takeRows(x1, fold.train), takeRows(x2, fold.train)];
  const bandsTe = [takeRows(x1, fold.test), takeRows(x2, fold.test)];
  const ytr = takeRows(y, fold.train);
  const opts = { nIter: 80, seed: 7, patience: 4, tol: 1e-3, reduced: false };
  const oneByOne = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, opts);
  const chunked = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { ...opts, lowRank: false });
  assert.ok(oneByOne.nEvaluated > 8 && oneByOne.nEvaluated < 80, `the rule stops the search after more than one chunk: ${oneByOne.nEvaluated}`);
  assert.equal(chunked.nEvaluated, oneByOne.nEvaluated);
  assert.deepEqual(Array.from(chunked.alpha), Array.from(oneByOne.alpha));
  assert.deepEqual(Array.from(chunked.gamma), Array.from(oneByOne.gamma));
});

test('banded fits with a fixed seed are bitwise reproducible run to run', async () => {
  const { x1, x2, y, fold } = problem(3, 120, 30, 20, 4);
  const run = () => fitBandedFold(backend, [takeRows(x1, fold.train), takeRows(x2, fold.train)], takeRows(y, fold.train), [takeRows(x1, fold.test), takeRows(x2, fold.test)], fold.inner, { nIter: 20, seed: 9 });
  const a = await run();
  const b = await run();
  assert.deepEqual(a.yhat.data, b.yhat.data);
  assert.deepEqual(a.gamma, b.gamma);
});

/** Float64 closed form of kernel ridge with band weights γ: mean + C(γ)(K(γ) + αI)⁻¹(y − mean), K and C from train-centred bands. */
function bandedClosedForm(bandsTr: readonly Matrix64[], bandsTe: readonly Matrix64[], ytr: Matrix64, gamma: ArrayLike<number>, alpha: number, unit: number): Float64Array {
  const na = ytr.rows;
  const ne = bandsTe[0].rows;
  const K = new Float64Array(na * na);
  const C = new Float64Array(ne * na);
  bandsTr.forEach((xa, b) => {
    const p = xa.cols;
    const mean = new Float64Array(p);
    for (let i = 0; i < na; i++) for (let k = 0; k < p; k++) mean[k] += xa.data[i * p + k] / na;
    const a = (i: number, k: number) => xa.data[i * p + k] - mean[k];
    const e = (i: number, k: number) => bandsTe[b].data[i * p + k] - mean[k];
    for (let i = 0; i < na; i++) for (let j = 0; j < na; j++) { let s = 0; for (let k = 0; k < p; k++) s += a(i, k) * a(j, k); K[i * na + j] += gamma[b] * s; }
    for (let i = 0; i < ne; i++) for (let j = 0; j < na; j++) { let s = 0; for (let k = 0; k < p; k++) s += e(i, k) * a(j, k); C[i * na + j] += gamma[b] * s; }
  });
  for (let i = 0; i < na; i++) K[i * na + i] += alpha;
  let ym = 0;
  for (let i = 0; i < na; i++) ym += ytr.data[i * ytr.cols + unit] / na;
  const c = Float64Array.from({ length: na }, (_, i) => ytr.data[i * ytr.cols + unit] - ym);
  // Cholesky K = L Lᵀ (in place, lower), then c ← K⁻¹ c.
  for (let j = 0; j < na; j++) {
    let d = K[j * na + j];
    for (let k = 0; k < j; k++) d -= K[j * na + k] ** 2;
    K[j * na + j] = Math.sqrt(d);
    for (let i = j + 1; i < na; i++) { let s = K[i * na + j]; for (let k = 0; k < j; k++) s -= K[i * na + k] * K[j * na + k]; K[i * na + j] = s / K[j * na + j]; }
  }
  for (let i = 0; i < na; i++) { let s = c[i]; for (let k = 0; k < i; k++) s -= K[i * na + k] * c[k]; c[i] = s / K[i * na + i]; }
  for (let i = na - 1; i >= 0; i--) { let s = c[i]; for (let k = i + 1; k < na; k++) s -= K[k * na + i] * c[k]; c[i] = s / K[i * na + i]; }
  return Float64Array.from({ length: ne }, (_, i) => { let s = ym; for (let j = 0; j < na; j++) s += C[i * na + j] * c[j]; return s; });
}

test('low-rank path at a tiny weight on the wide band and small α: predictions equal the float64 closed form', async () => {
  // The wide band (200 columns, ~350 training rows) leaves a large null space in its kernel; with
  // γ_wide ≈ 1e-13 (sample 2 of seed 17) and α = 2⁻⁵ the old float32 `left · g` product cancelled
  // terms of size |y|/α there (errors 2.3e-4 on predictions of size ~5; now ~2e-6, float32 rounding).
  const { x1: wide, x2: narrow, y, fold } = problem(5, 416, 200, 9, 6);
  for (let i = 0; i < 416; i++) for (let j = 0; j < 6; j++) y.data[i * 6 + j] = 3 * narrow.data[i * 9 + j] + 0.1 * y.data[i * 6 + j] + 1e3;
  const bandsTr = [takeRows(narrow, fold.train), takeRows(wide, fold.train)];
  const bandsTe = [takeRows(narrow, fold.test), takeRows(wide, fold.test)];
  const ytr = takeRows(y, fold.train);
  const alphas = [2 ** -5];
  const gammas = bandWeightSamples(new MT19937(17), 3, 2);
  assert.ok(gammas[2][1] < 1e-12, `sample 2 puts ${gammas[2][1]} on the wide band`);
  const fit = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { alphas, nIter: 3, seed: 17 });
  assert.ok(fit.gamma[1] < 1e-12, `unit 0 chose γ ${fit.gamma[0]}, ${fit.gamma[1]}`);
  for (let j = 0; j < 6; j++) {
    const want = bandedClosedForm(bandsTr, bandsTe, ytr, fit.gamma.subarray(j * 2, j * 2 + 2), fit.alpha[j], j);
    for (let i = 0; i < want.length; i++) {
      const got = fit.yhat.data[i * 6 + j];
      assert.ok(Math.abs(got - want[i]) < 2e-5, `unit ${j} row ${i}: ${got} vs float64 ${want[i]}`);
    }
  }
});

test('Fedorenko2016, A = wp:sigma=4.7 | B = 200 random columns: the low-rank path gives the kernel path\'s per-unit R² to 1e-6', async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dataset = await loadDataset(`${root}../shared/data/fedorenko2016/fedorenko2016.nc`);
  const rng = new MT19937(7);
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-banded-'));
  const file = join(dir, 'random200.npy');
  writeNpy(file, Float64Array.from({ length: dataset.y.rows * 200 }, () => rng.standardNormal()), [dataset.y.rows, 200]);
  try {
    // Seed 17: sample 2 puts 1e-13 on B, the widest band (the case that lost up to 1e-3 of R²).
    const opts = { split: 'contiguous', backend, bandedIter: 3, bandedSeed: 17 } as const;
    const lowRank = await scoreSpec(dataset, `wp:sigma=4.7 | file:${file}`, opts);
    const kernel = await scoreSpec(dataset, `wp:sigma=4.7 | file:${file}`, { ...opts, bandedLowRank: false });
    const a = lowRank.result.experiments[0];
    const b = kernel.result.experiments[0];
    assert.equal(a.r2.length, 97);
    assert.deepEqual(Array.from(a.alpha), Array.from(b.alpha));
    for (let j = 0; j < 97; j++) assert.ok(Math.abs(a.r2[j] - b.r2[j]) <= 1e-6, `unit ${j}: R² ${a.r2[j]} (low-rank) vs ${b.r2[j]} (kernel)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Columns whose scale differs between the first and second half of the rows (inner folds then see different scalings). */
function uneven(m: Matrix64): Matrix64 {
  const out = { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
  for (let i = 0; i < m.rows; i++) for (let k = 0; k < m.cols; k += 2) out.data[i * m.cols + k] *= i < m.rows / 2 ? 1 : 6;
  return out;
}

test('innerStandardize: banded ridge with uniform band weights z-scores each inner fold exactly as plain ridge does', async () => {
  const { x1: a, x2: b, y, fold } = problem(6, 120, 40, 30, 6);
  const x1 = uneven(a);
  const x2 = uneven(b);
  const bandsTr = [takeRows(x1, fold.train), takeRows(x2, fold.train)];
  const bandsTe = [takeRows(x1, fold.test), takeRows(x2, fold.test)];
  const ytr = takeRows(y, fold.train);
  const alphas = [0.5, 2, 8, 32, 128, 512];
  const xtr: Matrix64 = { rows: ytr.rows, cols: 70, data: new Float64Array(ytr.rows * 70) };
  const xte: Matrix64 = { rows: bandsTe[0].rows, cols: 70, data: new Float64Array(bandsTe[0].rows * 70) };
  for (const [dst, [p, q]] of [[xtr, bandsTr], [xte, bandsTe]] as const) {
    for (let i = 0; i < dst.rows; i++) { dst.data.set(p.data.subarray(i * 40, i * 40 + 40), i * 70); dst.data.set(q.data.subarray(i * 30, i * 30 + 30), i * 70 + 40); }
  }
  const plainZ = await fitFold(backend, xtr, ytr, xte, fold.inner, { estimator: 'ridge', alphas: alphas.map((v) => v * 2), innerStandardize: true });
  const plainC = await fitFold(backend, xtr, ytr, xte, fold.inner, { estimator: 'ridge', alphas: alphas.map((v) => v * 2) });
  // The inner-CV scores of the two rules differ on this design (so the check below can fail).
  assert.ok(Array.from(plainZ.valScore).some((v, j) => Math.abs(v - plainC.valScore[j]) > 1e-3), 'inner z-scoring changes the validation scores');
  const banded = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { alphas, nIter: 1, innerStandardize: true });
  assert.deepEqual(Array.from(banded.alpha, (v) => v * 2), Array.from(plainZ.alpha));
  for (let j = 0; j < 6; j++) assert.ok(Math.abs(banded.valScore[j] - plainZ.valScore[j]) < 1e-5, `unit ${j}: inner-CV R² ${banded.valScore[j]} vs plain ${plainZ.valScore[j]}`);
});

test('innerStandardize: the low-rank path z-scores each inner fold like the kernel path', async () => {
  const opts = { nIter: 15, seed: 4, innerStandardize: true };
  const { fast, slow, bandsTr, bandsTe, ytr, fold } = await lowRankAgainstKernel(7, 8, opts, uneven);
  const centred = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { ...opts, innerStandardize: false });
  assert.ok(Array.from(centred.valScore).some((v, j) => Math.abs(v - slow.valScore[j]) > 1e-3), 'inner z-scoring changes the validation scores');
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(fast.valScore[j] - slow.valScore[j]) < 1e-5, `unit ${j}`);
});

test('reduced γ search (3 narrow columns | a wide band with a null space): every unit gets the best (γ, α) of the float64 closed form, and its score', async () => {
  // Wide band: 60 columns for ~125 inner training rows (a null space in its kernel); seed 17's
  // samples include γ_wide ≈ 1e-13 (α' = α/γ_wide up to 5e18). The reduced search interpolates each
  // unit's validation error in α' between exact nodes; the closed form solves every (γ, α) directly.
  const { x1: wide, x2: narrow, y, fold } = problem(11, 150, 60, 3, 4);
  const bandsTr = [takeRows(narrow, fold.train), takeRows(wide, fold.train)];
  const bandsTe = [takeRows(narrow, fold.test), takeRows(wide, fold.test)];
  const ytr = takeRows(y, fold.train);
  const nIter = 12;
  const fit = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { nIter, seed: 17, reduced: true });
  assert.equal(fit.nEvaluated, nIter);
  const gammas = bandWeightSamples(new MT19937(17), nIter, 2);
  const alphas = Array.from({ length: 25 }, (_, i) => 2 ** (i - 5));
  const best = new Float64Array(4).fill(-Infinity);
  for (const g of gammas) for (const a of alphas) pooledInnerR2(bandsTr, ytr, fold.inner, g, a).forEach((r, t) => { best[t] = Math.max(best[t], r); });
  for (let t = 0; t < 4; t++) {
    const chosen = pooledInnerR2(bandsTr, ytr, fold.inner, fit.gamma.subarray(t * 2, t * 2 + 2), fit.alpha[t])[t];
    assert.ok(Math.abs(fit.valScore[t] - chosen) < 1e-6, `unit ${t}: search score ${fit.valScore[t]} vs float64 ${chosen} at its (γ, α)`);
    // The search keeps the earlier sample unless a later one gains more than float32 resolution.
    assert.ok(chosen > best[t] - 1e-6, `unit ${t}: chose R² ${chosen}, the best sample gives ${best[t]}`);
  }
});

test('kernel search maps: the native one-call maps (kernelMaps) equal the TypeScript factors → searchMap → stack, in basis and in plain form', async (t) => {
  if (!ridgeKernels(backend).kernelMaps) {
    // The portable backend has no one-call path: its maps are the TypeScript ones by construction.
    assert.equal(backend.name, 'portable');
    return;
  }
  const rng = new MT19937(17);
  const alphas = Array.from({ length: 25 }, (_, i) => 2 ** (i - 5));
  const gammas = bandWeightSamples(new MT19937(4), 5, 2);
  for (const [n, nv, widths] of [[60, 13, [40, 90]], [5, 3, [2, 7]]] as const) {
    // Centred random bands: training kernels X Xᵀ (PSD, one of rank 40 < 60 with n = 60) and cross kernels.
    const kernels = widths.map((p) => {
      const xa = Float64Array.from({ length: n * p }, () => rng.standardNormal());
      const xe = Float64Array.from({ length: nv * p }, () => rng.standardNormal());
      const gram = (a: Float64Array, ra: number): Matrix64 => {
        const data = new Float64Array(ra * n);
        for (let i = 0; i < ra; i++) for (let j = 0; j < n; j++) for (let c = 0; c < p; c++) data[i * n + j] += a[i * p + c] * xa[j * p + c];
        return { rows: ra, cols: n, data };
      };
      return { train: gram(xa, n), cross: gram(xe, nv) };
    });
    const k = { train: kernels.map((b) => b.train), cross: kernels.map((b) => b.cross) };
    const nFeatures = widths[0] + widths[1];
    const got = await kernelSearchMaps(backend, k, gammas, alphas, nFeatures);
    const want = await kernelSearchMaps(backend, k, gammas, alphas, nFeatures, true);
    assert.deepEqual(Array.from(got.nB), Array.from(want.nB));
    // n = 60: a basis of fewer maps than penalties; n = 5: every penalty's map (the plain form).
    for (const nB of got.nB) assert.ok(n === 60 ? nB < alphas.length : nB === alphas.length, `n ${n}: ${nB} maps`);
    assert.equal(got.s.rows, want.s.rows);
    let row = 0;
    for (const nB of got.nB) {
      const len = nB * nv * n;
      const a = got.s.data.subarray(row * n, row * n + len);
      const b = want.s.data.subarray(row * n, row * n + len);
      const scale = Math.max(...b.map(Math.abs));
      for (let i = 0; i < len; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * scale, `n ${n}, map entry ${row * n + i}: ${a[i]} vs ${b[i]}`);
      row += nB * nv;
    }
    for (let i = 0; i < want.coef.length; i++) assert.ok(Math.abs(got.coef[i] - want.coef[i]) <= 1e-6 * Math.max(1, Math.abs(want.coef[i])), `coef ${i}`);
    t.diagnostic(`n ${n}: ${Array.from(got.nB).join(', ')} maps per sample`);
  }
});
