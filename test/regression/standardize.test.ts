import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStandardizer, fitStandardizer, isConstantFeature } from '../../src/regression/standardize.js';
import { fromRows } from '../../src/linalg/matrix.js';

test('mean and population SD per column, fitted on the given rows only', () => {
  const x = fromRows([[1, 10], [2, 20], [3, 60], [100, -5]]);
  const s = fitStandardizer(x, [0, 1, 2]);
  assert.deepEqual(Array.from(s.mean), [2, 30]);
  assert.ok(Math.abs(s.scale[0] - Math.sqrt(2 / 3)) < 1e-15);
  assert.ok(Math.abs(s.scale[1] - Math.sqrt(((20 * 20) + (10 * 10) + (30 * 30)) / 3)) < 1e-12);
  const z = applyStandardizer(x, [3], s);
  assert.ok(Math.abs(z.data[0] - (100 - 2) / Math.sqrt(2 / 3)) < 1e-12);
});

test("scikit-learn's constant-feature rule: exactly constant columns keep scale 1, tiny but varying columns are scaled up (METHODS §4.1)", () => {
  // A column of 0.1s: its computed variance is 0 or rounding noise, which the bound absorbs.
  const x = fromRows([[0.1, 0, 3.7e-6], [0.1, 0, 0], [0.1, 0, 0], [0.1, 0, 0]]);
  const s = fitStandardizer(x, [0, 1, 2, 3]);
  assert.equal(s.scale[0], 1);
  assert.equal(s.scale[1], 1);
  assert.equal(s.nConstant, 2);
  // OASM σ = 0.2 neighbour weights (~3.7e-6) are NOT constant: sklearn scales them to unit variance.
  const sd = Math.sqrt(((3.7e-6) ** 2 * 3) / 16);
  assert.ok(Math.abs(s.scale[2] - sd) / sd < 1e-12);
  const z = applyStandardizer(x, [0, 1, 2, 3], s);
  let v = 0;
  for (let i = 0; i < 4; i++) v += z.data[i * 3 + 2] ** 2;
  assert.ok(Math.abs(v / 4 - 1) < 1e-12);
});

test('isConstantFeature matches the closed-form bound n·ε·var + (n·mean·ε)²', () => {
  const eps = 2.220446049250313e-16;
  assert.equal(isConstantFeature(0, 5, 10), true);
  const mean = 1e3;
  const bound = (10 * mean * eps) ** 2 / (1 - 10 * eps);
  assert.equal(isConstantFeature(bound * 0.99, mean, 10), true);
  assert.equal(isConstantFeature(bound * 1.01, mean, 10), false);
});
