import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentWeights, factorFilters, FILTER_BASIS_TOL } from '../../src/regression/filter-basis.js';

/** The published α grid, 2^-5 … 2^19, written out here (not taken from ridge.ts). */
const ALPHAS = Array.from({ length: 25 }, (_, i) => 2 ** (i - 5));

/** Closed-form ridge filters 1/(λ + α), one row per α. */
const closedForm = (lambda: Float64Array) => ALPHAS.map((a) => Float64Array.from(lambda, (l) => 1 / (l + a)));

const logspace = (a: number, b: number, n: number) => Float64Array.from({ length: n }, (_, i) => 10 ** (a + ((b - a) * i) / (n - 1)));

/** Marchenko–Pastur-like spectrum of a 448-sample kernel of 1600 z-scored features (the issue-13 workload), `nNull` zeros first. */
const workloadLike = (nNull: number) => Float64Array.from({ length: 448 }, (_, i) => (i < nNull ? 0 : 350 + 3350 * (i / 447) ** 2));

const SPECTRA: Record<string, Float64Array> = {
  'null space + workload-like (10× spread)': workloadLike(20),
  'clustered (three tight clusters at 1, 10³, 10⁶)': Float64Array.from({ length: 300 }, (_, i) => [1, 1e3, 1e6][i % 3] * (1 + 1e-9 * i)),
  'widely spread (10⁻⁴ … 10⁸)': logspace(-4, 8, 500),
  'null space + widely spread': Float64Array.from({ length: 400 }, (_, i) => (i < 50 ? 0 : 10 ** (-3 + (9 * (i - 50)) / 349))),
};

/** max over α of ‖w ∘ (C_α Φ − f_α)‖₂ / ‖w ∘ f_α‖₂, with f_α in closed form. */
function worstRelativeError(lambda: Float64Array, w: Float64Array, tol: number): { rank: number; worst: number } {
  const f = closedForm(lambda);
  const fb = factorFilters(f, w, tol);
  let worst = 0;
  ALPHAS.forEach((a, ai) => {
    let num = 0;
    let den = 0;
    lambda.forEach((l, k) => {
      let rec = 0;
      for (let j = 0; j < fb.rank; j++) rec += fb.coef[ai * fb.rank + j] * fb.basis[j][k];
      const exact = 1 / (l + a);
      num += (w[k] * (rec - exact)) ** 2;
      den += (w[k] * exact) ** 2;
    });
    worst = Math.max(worst, Math.sqrt(num / den));
  });
  return { rank: fb.rank, worst };
}

for (const [name, lambda] of Object.entries(SPECTRA)) {
  // Weights as a spectral factor has them: ‖left[:, k]‖ · ‖right[k, :]‖ ∝ √λ (0 on the null space),
  // and unit weights (every component counted alike, the null space included).
  const weightings: Record<string, Float64Array> = { '√λ weights': Float64Array.from(lambda, Math.sqrt), 'unit weights': new Float64Array(lambda.length).fill(1) };
  for (const [wName, w] of Object.entries(weightings)) {
    test(`filter basis: every α's row of 1/(λ + α) reproduced to the stated tolerance — ${name}, ${wName}`, () => {
      for (const tol of [FILTER_BASIS_TOL, 1e-10]) {
        const { rank, worst } = worstRelativeError(lambda, w, tol);
        assert.ok(rank >= 1 && rank <= ALPHAS.length, `rank ${rank}`);
        assert.ok(worst <= tol * (1 + 1e-6) + 1e-14, `tol ${tol}: worst relative error ${worst} (R = ${rank})`);
      }
    });
  }
}

test('filter basis: R is small where the spectrum is narrow or clustered (R ≤ 11 of 25 on the workload-like spectrum, ≤ 4 on three clusters)', () => {
  const w1 = (l: Float64Array) => Float64Array.from(l, Math.sqrt);
  const mp = workloadLike(1);
  assert.ok(factorFilters(closedForm(mp), w1(mp)).rank <= 11, `workload-like R = ${factorFilters(closedForm(mp), w1(mp)).rank}`);
  const cl = SPECTRA['clustered (three tight clusters at 1, 10³, 10⁶)'];
  assert.ok(factorFilters(closedForm(cl), w1(cl)).rank <= 4);
  // A single eigenvalue: every row is a multiple of one basis row.
  assert.equal(factorFilters(closedForm(new Float64Array(40).fill(7)), new Float64Array(40).fill(1)).rank, 1);
});

test('filter basis: weights are ‖left[:, k]‖ · ‖right[k, :]‖; zero-weight components get Φ = 0', () => {
  const left = { rows: 2, cols: 3, data: Float64Array.from([3, 0, 1, 4, 0, 1]) };
  const right = { rows: 3, cols: 2, data: Float64Array.from([1, 0, 5, 5, 0, 2]) };
  const w = componentWeights(left, right);
  assert.deepEqual(Array.from(w), [5 * 1, 0, Math.SQRT2 * 2]);
  const fb = factorFilters(closedForm(Float64Array.from([2, 0, 9])), w);
  for (const row of fb.basis) assert.equal(row[1], 0);
});
