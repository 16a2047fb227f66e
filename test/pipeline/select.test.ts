/**
 * Choosing a grid value (METHODS §5.6). Under `--select test` the paper selects separately per
 * metric (REFERENCE_VALUES §B has one best σ/layer for R² and another for r, e.g. Fedorenko
 * shuffled ridge σ = 1.8 for R² and 0.2 for r): R² is reported at the value best by R², r at the
 * value best by r. The expected numbers below are worked out by hand from the planted unit scores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectOverGrid } from '../../src/pipeline/select.js';
import { summarise, type ExperimentScores, type ScoreResult } from '../../src/pipeline/score.js';

const subjects = ['1', '1', '2', '2'];

/** A one-experiment fit of 4 units (2 subjects) over 2 folds with the given unit R² and r. */
function fit(r2: number[], r: number[], valR2: number): ScoreResult {
  const nU = r2.length;
  const nF = 2;
  const e: ExperimentScores = {
    experiment: '', nSamples: 20, nFeatures: 3, unitIndex: Int32Array.from({ length: nU }, (_, j) => j), unitIds: subjects.map((_, j) => `u${j}`), subjects,
    unitCoords: null, r2: Float64Array.from(r2), r: Float64Array.from(r),
    alpha: new Float64Array(nF * nU).fill(1), valScore: new Float64Array(nF * nU).fill(valR2),
    // Fold statistics consistent with the unit scores: SSE0 = 1 per fold, SSE = 1 − R², fold r = r.
    foldSse: Float64Array.from({ length: nF * nU }, (_, k) => 1 - r2[k % nU]), foldSse0: new Float64Array(nF * nU).fill(1),
    foldR: Float64Array.from({ length: nF * nU }, (_, k) => r[k % nU]),
    foldSizes: [10, 10], innerFolds: [1, 1], bandSizes: [3], gamma: null, errors: null,
  };
  const settings: ScoreResult['settings'] = { split: 'shuffled', seed: 42, estimator: 'ridge', alphas: [1], backend: 'test', bands: 1, bandedIter: null, bandedSeed: null, innerStandardize: false };
  return summarise({ name: 'toy', source: 'toy' }, settings, [e]);
}

// Value 0 predicts best by R², value 1 best by r (and value 2 is worse on both).
const fits = [
  fit([0.2, 0.2, 0.1, 0.1], [0.3, 0.3, 0.3, 0.3], 0.05),
  fit([0.05, 0.05, 0.05, 0.05], [0.5, 0.5, 0.4, 0.4], 0.01),
  fit([0.01, 0.01, 0.01, 0.01], [0.1, 0.1, 0.1, 0.1], 0.0),
];

test('--select test: R² at the value best by R², r at the value best by r (per metric, §5.6)', () => {
  const { result, chosen } = selectOverGrid(fits, 'test');
  assert.deepEqual(chosen, [{ experiment: '', perFold: [0, 0], perFoldR: [1, 1] }]);
  // Subject means: R² (0.2, 0.1) → 0.15; r (0.5, 0.4) → 0.45.
  assert.ok(Math.abs(result.r2.mean - 0.15) < 1e-15, `R² ${result.r2.mean}`);
  assert.ok(Math.abs(result.r.mean - 0.45) < 1e-15, `r ${result.r.mean}`);
  assert.deepEqual(Array.from(result.experiments[0].r), [0.5, 0.5, 0.4, 0.4]);
});

test('--select validation: one inner-CV (R²) choice per fold serves both metrics', () => {
  const { result, chosen } = selectOverGrid(fits, 'validation');
  assert.deepEqual(chosen, [{ experiment: '', perFold: [0, 0], perFoldR: [0, 0] }]);
  assert.ok(Math.abs(result.r2.mean - 0.15) < 1e-12, `R² ${result.r2.mean}`);
  assert.ok(Math.abs(result.r.mean - 0.3) < 1e-12, `r ${result.r.mean}`);
});
