/**
 * Issue 15.4: the band-weight search with many bands. On a planted problem (6 bands, 3 of them
 * irrelevant) the refined search (BandedOptions.refine, the default from 3 bands on) must come close
 * to the inner-CV score of the true band-weight direction with its best penalty — computed here in
 * float64 closed form, independently of brainmap's kernels — where the paper's Dirichlet random
 * search with the same number of samples (the code before this change) falls short. 2 bands never refine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitBandedFold, GammaSchedule } from '../../src/regression/banded.js';
import { labelFolds } from '../../src/regression/splits.js';
import { getBackend } from '../../src/linalg/index.js';
import { takeRows, type Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { bandWeightSamples } from '../../src/random/dirichlet.js';
import { pooledInnerR2 } from './banded-closed-form.js';

const backend = getBackend('auto');
const SIZES = [4, 4, 8, 8, 16, 16];
const EFFECTS = [0.7, 0, 0.7, 0, 0.7, 0];
const ALPHAS = Array.from({ length: 13 }, (_, i) => 2 ** (2 * i - 5));

function plantedProblem(units: number) {
  const n = 210;
  const rng = new MT19937(31);
  const bands: Matrix64[] = SIZES.map((p) => ({ rows: n, cols: p, data: Float64Array.from({ length: n * p }, () => rng.standardNormal()) }));
  const y: Matrix64 = { rows: n, cols: units, data: Float64Array.from({ length: n * units }, () => rng.standardNormal()) };
  bands.forEach((x, b) => {
    for (let j = 0; j < units; j++) {
      const beta = Float64Array.from({ length: x.cols }, () => (EFFECTS[b] * rng.standardNormal()) / Math.sqrt(x.cols));
      for (let i = 0; i < n; i++) { let s = 0; for (let k = 0; k < x.cols; k++) s += x.data[i * x.cols + k] * beta[k]; y.data[i * units + j] += s; }
    }
  });
  const fold = labelFolds(Array.from({ length: n }, (_, i) => String(Math.floor(i / 30))), 't')[0];
  return { bands: bands.map((x) => takeRows(x, fold.train)), test: bands.map((x) => takeRows(x, fold.test)), y: takeRows(y, fold.train), inner: fold.inner };
}

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, x) => a + x, 0) / v.length;

test('6 bands, 3 irrelevant: the refined γ search comes within 0.01 of the true weights\' inner-CV R² (closed form); the random search does not', { timeout: 600_000 }, async () => {
  const units = 8;
  const { bands, test, y, inner } = plantedProblem(units);
  // The truth: γ_b ∝ s_b²/p_b (per-column variance of each band's contribution), irrelevant bands ~0.
  const truth = SIZES.map((p, b) => Math.max(EFFECTS[b] ** 2 / p, 1e-9));
  const tsum = truth.reduce((a, v) => a + v, 0);
  const best = new Float64Array(units).fill(-Infinity);
  for (const a of ALPHAS) pooledInnerR2(bands, y, inner, truth.map((v) => v / tsum), a).forEach((r, t) => { best[t] = Math.max(best[t], r); });
  const oracle = mean(best);
  const opts = { alphas: ALPHAS, nIter: 24, seed: 0, patience: 1000, innerStandardize: false };
  const refined = await fitBandedFold(backend, bands, y, test, inner, opts);
  const random = await fitBandedFold(backend, bands, y, test, inner, { ...opts, refine: false });
  // The search's own scores are what the closed form gives at its choices.
  for (let t = 0; t < units; t++) {
    const at = pooledInnerR2(bands, y, inner, refined.gamma.subarray(t * 6, t * 6 + 6), refined.alpha[t])[t];
    assert.ok(Math.abs(at - refined.valScore[t]) < 1e-5, `unit ${t}: ${refined.valScore[t]} vs closed form ${at}`);
  }
  // Measured: truth 0.4875, refined 0.4790, random 0.4716 (24 samples each).
  assert.ok(mean(refined.valScore) > oracle - 0.01, `refined ${mean(refined.valScore)} vs truth ${oracle}`);
  assert.ok(mean(random.valScore) < oracle - 0.01, `random ${mean(random.valScore)} vs truth ${oracle} (the problem must be hard for it)`);
});

test('the refined schedule: 2 bands (and fewer than REFINE_MIN_ITER samples) are the paper\'s Dirichlet samples', () => {
  const s = new GammaSchedule(17, 30, 2, true);
  assert.equal(s.adaptive, false);
  assert.deepEqual(s.gammas, bandWeightSamples(new MT19937(17), 30, 2));
  assert.equal(new GammaSchedule(3, 7, 5, true).adaptive, false);
  const r = new GammaSchedule(3, 20, 5, true);
  assert.ok(r.adaptive);
  // The first half are the paper's samples; the rest lie on the simplex.
  assert.deepEqual(r.gammas, bandWeightSamples(new MT19937(3), 10, 5));
  const search = { gamma: new Int32Array([3, 3, 5]), sampleSum: Array.from({ length: 10 }, (_, g) => g) };
  for (let g = 10; g < 20; g++) { const x = r.at(g, search); assert.ok(Math.abs(x.reduce((a, v) => a + v, 0) - 1) < 1e-12 && x.every((v) => v > 0)); }
});
