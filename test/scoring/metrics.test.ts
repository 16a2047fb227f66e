import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldPearson, foldSquaredErrors, pooledR2 } from '../../src/scoring/metrics.js';
import { aggregateScores } from '../../src/scoring/aggregate.js';
import { fromRows } from '../../src/linalg/matrix.js';

test('pooled out-of-sample R² = 1 − ΣSSE/ΣSSE0 with the outer-training-mean intercept model (§5.1–5.2)', () => {
  // Unit 0 over two folds; training means 1 and 3.
  const f1 = foldSquaredErrors(fromRows([[2], [4]]), fromRows([[2.5], [3.5]]), Float64Array.of(1));
  const f2 = foldSquaredErrors(fromRows([[0], [6], [3]]), fromRows([[1], [5], [3]]), Float64Array.of(3));
  assert.deepEqual(Array.from(f1.sse), [0.5]);
  assert.deepEqual(Array.from(f1.sse0), [1 + 9]);
  assert.deepEqual(Array.from(f2.sse), [2]);
  assert.deepEqual(Array.from(f2.sse0), [9 + 9 + 0]);
  const r2 = pooledR2(Float64Array.of(f1.sse[0] + f2.sse[0]), Float64Array.of(f1.sse0[0] + f2.sse0[0]));
  assert.ok(Math.abs(r2[0] - (1 - 2.5 / 28)) < 1e-15);
  // Unlike sklearn's r2_score, a perfect prediction of the test mean is not 0 here.
  assert.ok(Number.isNaN(pooledR2(Float64Array.of(0), Float64Array.of(0))[0]));
});

test('Schrimpf-style Pearson r: plain correlation; 0 for a constant prediction (§5.3)', () => {
  const y = fromRows([[1, 1], [2, 2], [3, 3], [5, 4]]);
  const yhat = fromRows([[2, 7], [1, 7], [4, 7], [4, 7]]);
  const r = foldPearson(y, yhat);
  // Hand computation: y = [1,2,3,5] (mean 2.75), ŷ = [2,1,4,4] (mean 2.75).
  const dy = [-1.75, -0.75, 0.25, 2.25];
  const dp = [-0.75, -1.75, 1.25, 1.25];
  const num = dy.reduce((a, v, i) => a + v * dp[i], 0);
  const den = Math.sqrt(dy.reduce((a, v) => a + v * v, 0) * dp.reduce((a, v) => a + v * v, 0));
  assert.ok(Math.abs(r[0] - num / den) < 1e-15);
  assert.equal(r[1], 0);
});

test('aggregation: NaN → 0, subject mean clipped at 0, mean over experiments, then over subjects (§5.5)', () => {
  const agg = aggregateScores([
    { experiment: '384', subjects: ['018', '018', '199', '199'], scores: [0.2, NaN, -0.3, 0.1] },
    { experiment: '243', subjects: ['018', '018'], scores: [0.05, 0.15] },
  ]);
  assert.deepEqual(agg.subjects.map((s) => s.subject), ['018', '199']);
  const s018 = (0.1 + 0.1) / 2; // 384: (0.2 + 0)/2 = 0.1; 243: 0.1
  assert.ok(Math.abs(agg.subjects[0].value - s018) < 1e-15);
  assert.equal(agg.subjects[0].nUnits, 4);
  assert.equal(agg.subjects[1].value, 0); // (−0.3 + 0.1)/2 clipped
  assert.ok(Math.abs(agg.mean - s018 / 2) < 1e-15);
  assert.ok(Math.abs(agg.sem - Math.sqrt(((s018 / 2) ** 2 * 2) / 1) / Math.sqrt(2)) < 1e-15);
  const unclipped = aggregateScores([{ experiment: '', subjects: ['1', '1'], scores: [-0.3, 0.1] }], { clip: false });
  assert.ok(Math.abs(unclipped.mean + 0.1) < 1e-15);
});
