import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldPearson, foldSquaredErrors, pooledR2 } from '../../src/scoring/metrics.js';
import { aggregateScores } from '../../src/scoring/aggregate.js';
import { fromRows } from '../../src/linalg/matrix.js';

// Reference values: scripts/reference/scoring_reference.py (scipy 1.17.1, scikit-learn 1.9.1).

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
});

test('R² baseline is the training mean, not the test mean: predicting the test mean scores 0.8 here, where sklearn r2_score says 0', () => {
  // y_test = [2, 4], ŷ = [3, 3] (the test mean), training mean 1: SSE 2, SSE0 1 + 9.
  const f = foldSquaredErrors(fromRows([[2], [4]]), fromRows([[3], [3]]), Float64Array.of(1));
  assert.ok(Math.abs(pooledR2(f.sse, f.sse0)[0] - 0.8) < 1e-15);
  // sklearn.metrics.r2_score([2, 4], [3, 3]) = 0.0 (its baseline is the test mean).
  assert.notEqual(pooledR2(f.sse, f.sse0)[0], 0.0);
  // A unit whose test values equal the training mean everywhere has no baseline error: R² undefined.
  assert.ok(Number.isNaN(pooledR2(Float64Array.of(0), Float64Array.of(0))[0]));
});

test('Pearson r per fold = scipy pearsonr, and unchanged by any offset and scale of y and ŷ (§5.3)', () => {
  const y = [1, 2, 3, 5];
  const p = [2, 1, 4, 4];
  const want = 0.7481900559272089; // scipy.stats.pearsonr([1, 2, 3, 5], [2, 1, 4, 4]).statistic
  for (const [a, c] of [[1, 0], [1, 1e6], [1e-30, 0], [1e30, -7e30], [1e40, 0], [-2.5e-20, 3e-20]]) {
    const r = foldPearson(fromRows(y.map((v) => [a * v + c])), fromRows(p.map((v) => [a * v + c])));
    assert.ok(Math.abs(r[0] - want) < 1e-14, `y·${a} + ${c}: r ${r[0]}`);
  }
  // The paper's rule (Schrimpf: r = 0 where ‖x − x̄‖ ≤ 1e-5·|x̄|) zeroes the same data shifted by 1e6.
  const shifted = foldPearson(fromRows(y.map((v) => [v + 1e6])), fromRows(p.map((v) => [v + 1e6])), { rule: 'paper' });
  assert.equal(shifted[0], 0);
  assert.ok(Math.abs(foldPearson(fromRows(y.map((v) => [v])), fromRows(p.map((v) => [v])), { rule: 'paper' })[0] - want) < 1e-15);
  // …and with the offset passed separately (metrics on deviations from the training mean), the same.
  assert.equal(foldPearson(fromRows(y.map((v) => [v])), fromRows(p.map((v) => [v])), { rule: 'paper', offset: Float64Array.of(1e6) })[0], 0);
});

test('a constant prediction (or constant responses) has no correlation: r = NaN ("undefined"), 0 only under the paper\'s rule', () => {
  const y = fromRows([[1, 1, 0.3], [2, 2, 0.3], [3, 3, 0.3], [5, 4, 0.3]]);
  // Unit 0: ŷ exactly constant; unit 1: ŷ = 0.3 up to float64 rounding (0.1 + 0.2); unit 2: y constant.
  const yhat = fromRows([[7, 0.1 + 0.2, 1], [7, 0.3, 2], [7, 0.3, 3], [7, 0.3, 4]]);
  const r = foldPearson(y, yhat);
  assert.ok(r.every((v) => Number.isNaN(v)), `r ${Array.from(r)}`);
  assert.deepEqual(Array.from(foldPearson(y, yhat, { rule: 'paper' })), [0, 0, 0]);
  // A spread of 2^-30 relative is far above rounding: r is defined and equals scipy's.
  const tiny = foldPearson(fromRows([[1], [2], [3], [5]]), fromRows([[1], [1 + 2 ** -30], [1], [1 - 2 ** -30]]));
  // scipy.stats.pearsonr([1, 2, 3, 5], [1, 1 + 2**-30, 1, 1 - 2**-30]).statistic
  assert.ok(Math.abs(tiny[0] - -0.7171371656006361) < 1e-14, `r ${tiny[0]}`);
});

test('aggregation (as published): NaN → 0, subject mean clipped at 0, mean over experiments, then over subjects (§5.5)', () => {
  const agg = aggregateScores([
    { experiment: '384', subjects: ['018', '018', '199', '199'], scores: [0.2, NaN, -0.3, 0.1] },
    { experiment: '243', subjects: ['018', '018'], scores: [0.05, 0.15] },
  ]);
  assert.deepEqual(agg.subjects.map((s) => s.subject), ['018', '199']);
  const s018 = (0.1 + 0.1) / 2; // 384: (0.2 + 0)/2 = 0.1; 243: 0.1
  assert.ok(Math.abs(agg.subjects[0].value - s018) < 1e-15);
  assert.equal(agg.subjects[0].nUnits, 4);
  assert.equal(agg.subjects[0].nUndefined, 1);
  assert.equal(agg.subjects[1].value, 0); // (−0.3 + 0.1)/2 clipped
  assert.ok(Math.abs(agg.mean - s018 / 2) < 1e-15);
  assert.ok(Math.abs(agg.sem - Math.sqrt(((s018 / 2) ** 2 * 2) / 1) / Math.sqrt(2)) < 1e-15);
  const unclipped = aggregateScores([{ experiment: '', subjects: ['1', '1'], scores: [-0.3, 0.1] }], { clip: false });
  assert.ok(Math.abs(unclipped.mean + 0.1) < 1e-15);
});

test("aggregation with undefined scores left out: means over the defined units; a subject with none is NaN and left out of the dataset mean", () => {
  const agg = aggregateScores([
    { experiment: '384', subjects: ['018', '018', '199', '199', '300'], scores: [0.2, NaN, 0.3, 0.1, NaN] },
    { experiment: '243', subjects: ['018', '018'], scores: [NaN, NaN] },
  ], { undefinedScores: 'omit' });
  assert.deepEqual(agg.subjects.map((s) => [s.subject, s.nUnits, s.nUndefined]), [['018', 4, 3], ['199', 2, 0], ['300', 1, 1]]);
  assert.ok(Math.abs(agg.subjects[0].value - 0.2) < 1e-15); // 384: 0.2 (one defined unit); 243: none
  assert.ok(Number.isNaN(agg.subjects[0].perExperiment['243']));
  assert.ok(Math.abs(agg.subjects[1].value - 0.2) < 1e-15);
  assert.ok(Number.isNaN(agg.subjects[2].value));
  assert.ok(Math.abs(agg.mean - 0.2) < 1e-15);
  assert.equal(agg.sem, 0);
});
