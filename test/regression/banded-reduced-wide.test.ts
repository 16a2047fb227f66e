import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitBandedFold } from '../../src/regression/banded.js';
import { labelFolds } from '../../src/regression/splits.js';
import { getBackend } from '../../src/linalg/index.js';
import type { Backend } from '../../src/linalg/backend.js';
import { takeRows, type Matrix64 } from '../../src/linalg/matrix.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { pooledInnerR2 } from './banded-closed-form.js';

const backend = getBackend('auto');

/** The backend, counting GEMMs of shape (2q × q) · (q × units): the direct mode's [K; L] · μ. */
function counting(q: number): { backend: Backend; count: () => number } {
  let n = 0;
  const proxy = new Proxy(backend, {
    get(target, prop, receiver) {
      if (prop === 'gemm') {
        return (a: { rows: number; cols: number }, b: { rows: number }, o?: unknown) => {
          if (a.rows === 2 * q && a.cols === q && b.rows === q) n++;
          return (target.gemm as (...args: unknown[]) => unknown).call(target, a, b, o);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { backend: proxy, count: () => n };
}

/** Narrow bands of the given widths + one wide band (wider than the inner training rows). */
function problem(seed: number, n: number, narrow: number[], wide: number, units: number) {
  const rng = new MT19937(seed);
  const mk = (r: number, c: number): Matrix64 => ({ rows: r, cols: c, data: Float64Array.from({ length: r * c }, () => rng.standardNormal()) });
  const bands = [...narrow.map((p) => mk(n, p)), mk(n, wide)];
  const y = mk(n, units);
  // Unit j: the first column of narrow band j mod B, weighted, plus a weak share of the wide band.
  for (let i = 0; i < n; i++) for (let j = 0; j < units; j++) {
    const x = bands[j % narrow.length];
    let s = (0.5 + 0.2 * j) * x.data[i * x.cols];
    const w = bands[narrow.length];
    for (let k = 0; k < wide; k++) s += 0.03 * (j / units) * w.data[i * wide + k];
    y.data[i * units + j] += s;
  }
  const labels = Array.from({ length: n }, (_, i) => String(Math.floor(i / (n / 6))));
  return { bands, y, fold: labelFolds(labels, 't')[0] };
}

for (const [q, narrow, seed] of [[6, [1, 2, 3], 21], [12, [1, 1, 2, 8], 22], [26, [1, 1, 8, 8, 8], 23]] as [number, number[], number][]) {
  test(`reduced γ search, direct mode (${q} narrow columns in ${narrow.length} bands | a 200-column band): scores, choices and the patience stop of the per-sample path`, async () => {
    const { bands, y, fold } = problem(seed, 150, narrow, 200, 6);
    const bandsTr = bands.map((x) => takeRows(x, fold.train));
    const bandsTe = bands.map((x) => takeRows(x, fold.test));
    const ytr = takeRows(y, fold.train);
    // refine: false — the per-sample path would otherwise refine around its best samples (the reduced
    // search evaluates fixed chunks of samples and never refines).
    const opts = { nIter: 24, seed: 5, patience: 4, tol: 1e-4, refine: false };
    const spy = counting(q);
    const fast = await fitBandedFold(spy.backend, bandsTr, ytr, bandsTe, fold.inner, { ...opts, reduced: true });
    const slow = await fitBandedFold(backend, bandsTr, ytr, bandsTe, fold.inner, { ...opts, reduced: false });
    assert.ok(spy.count() > 0, 'the direct reduced mode ran');
    assert.equal(fast.nEvaluated, slow.nEvaluated, 'the patience rule stops at the same sample');
    // Seeds 21 and 22 stop inside the second chunk of samples (first chunk: patience + 1).
    if (q < 26) assert.ok(fast.nEvaluated > opts.patience + 1 && fast.nEvaluated < opts.nIter, `stopped at ${fast.nEvaluated}`);
    const B = bands.length;
    for (let t = 0; t < 6; t++) {
      assert.ok(Math.abs(fast.valScore[t] - slow.valScore[t]) < 1e-5, `unit ${t}: reduced ${fast.valScore[t]} vs per-sample ${slow.valScore[t]}`);
      const gf = fast.gamma.subarray(t * B, (t + 1) * B);
      const gs = slow.gamma.subarray(t * B, (t + 1) * B);
      if (fast.alpha[t] === slow.alpha[t] && gf.every((v, k) => v === gs[k])) continue;
      // Different choices only on near-equal scores: both within float32 resolution in float64.
      const rf = pooledInnerR2(bandsTr, ytr, fold.inner, gf, fast.alpha[t])[t];
      const rs = pooledInnerR2(bandsTr, ytr, fold.inner, gs, slow.alpha[t])[t];
      assert.ok(Math.abs(rf - rs) < 1e-5, `unit ${t}: choices differ with float64 R² ${rf} vs ${rs}`);
      assert.ok(Math.abs(rf - fast.valScore[t]) < 1e-5, `unit ${t}: reduced score ${fast.valScore[t]} vs float64 ${rf} at its choice`);
    }
  });
}
