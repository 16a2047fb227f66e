import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockFolds, foldLabels, labelFolds } from '../../src/regression/splits.js';
import { pereiraFoldLabel, pereiraPassages } from '../../src/data/pereira-design.js';
import type { Dataset } from '../../src/data/dataset.js';
import { MT19937 } from '../../src/random/mt19937.js';

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

test('Fedorenko contiguous: 13 outer folds of 32 rows, 8 inner folds of 48 (REFERENCE_VALUES §L)', () => {
  const folds = blockFolds(identity(416), 32, 48, 'fedorenko');
  assert.equal(folds.length, 13);
  for (const [f, fold] of folds.entries()) {
    assert.equal(fold.test.length, 32);
    assert.deepEqual(Array.from(fold.test), Array.from({ length: 32 }, (_, i) => 32 * f + i));
    assert.equal(fold.train.length, 384);
    assert.equal(fold.inner.length, 8);
    for (const inner of fold.inner) {
      assert.equal(inner.val.length, 48);
      assert.equal(inner.train.length, 336);
    }
  }
  // Inner block 0 of fold 1 is training rows 0..31 and 64..79: it straddles the test block.
  const v = Array.from(folds[1].inner[0].val, (k) => folds[1].train[k]);
  assert.deepEqual(v, [...Array.from({ length: 32 }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => 64 + i)]);
});

test('Fedorenko shuffled: test fold f is P[32f:32f+32], training rows in P order (§2.2)', () => {
  const fed: Dataset = {
    name: 'fed', source: 'fed', y: { rows: 416, cols: 1, data: new Float64Array(416) },
    samples: { stimulusId: [], text: [], block: [], position: new Int32Array(416), experiment: new Array(416).fill(''), fold: null },
    units: { id: ['0'], subject: ['1'], network: [''], coords: null },
    design: { kind: 'blocks', outerSize: 32, innerSize: 48 }, shuffleOrder: [],
  };
  const labels = foldLabels(fed, 'shuffled', 42).get('')!.labels as Int32Array;
  assert.deepEqual(Array.from(labels.slice(0, 20)), [152, 294, 410, 94, 70, 397, 368, 219, 39, 55, 258, 414, 299, 30, 402, 286, 110, 222, 322, 72]);
  const folds = blockFolds(labels, 32, 48, 'fed');
  assert.deepEqual(Array.from(folds[0].test), Array.from(labels.slice(0, 32)));
  assert.deepEqual(Array.from(folds[0].train.slice(0, 3)), Array.from(labels.slice(32, 35)));
});

function pereiraDataset(): Dataset {
  const passages = pereiraPassages();
  const experiment: string[] = [];
  const fold: string[] = [];
  const block: string[] = [];
  for (const p of passages) for (let s = 0; s < p.nSentences; s++) {
    experiment.push(p.experiment);
    fold.push(pereiraFoldLabel(p));
    block.push(`${p.experiment}-${p.category}-${p.passageNumber}`);
  }
  const n = experiment.length;
  return {
    name: 'pereira', source: 'pereira', y: { rows: n, cols: 1, data: new Float64Array(n) },
    samples: { stimulusId: block.map((_, i) => String(i)), text: new Array(n).fill(''), block, position: new Int32Array(n), experiment, fold },
    units: { id: ['0'], subject: ['018'], network: ['language'], coords: null },
    design: { kind: 'labels' }, shuffleOrder: ['384', '243'],
  };
}

test('Pereira contiguous folds: 384 → 8 × 48 with 7 inner; 243 → 47, 46, 38, 38, 37, 37 with 5 inner (§L)', () => {
  const d = pereiraDataset();
  assert.equal(d.y.rows, 627);
  const byExp = foldLabels(d, 'contiguous', 42);
  const f384 = labelFolds(byExp.get('384')!.labels as string[], 'p');
  assert.deepEqual(f384.map((f) => f.test.length), [48, 48, 48, 48, 48, 48, 48, 48]);
  assert.deepEqual(f384.map((f) => f.inner.length), [7, 7, 7, 7, 7, 7, 7, 7]);
  const f243 = labelFolds(byExp.get('243')!.labels as string[], 'p');
  assert.deepEqual(f243.map((f) => f.test.length), [47, 46, 38, 38, 37, 37]);
  assert.deepEqual(f243.map((f) => f.inner.length), [5, 5, 5, 5, 5, 5]);
  // First exp-243 fold = passage 0 of the fh categories: astronaut-0 is rows 0..3.
  assert.deepEqual(Array.from(f243[0].test.slice(0, 5)), [0, 1, 2, 3, 10]);
});

test('Pereira shuffled: the 384 block is shuffled first, then the 243 block, from one seed-42 stream (§2.2, §J)', () => {
  const d = pereiraDataset();
  const byExp = foldLabels(d, 'shuffled', 42);
  const contiguous = foldLabels(d, 'contiguous', 42);
  const rng = new MT19937(42);
  const p384 = rng.permutation(384);
  const p243 = rng.permutation(243);
  assert.deepEqual(Array.from(p384.slice(0, 5)), [268, 250, 355, 332, 56]);
  assert.deepEqual(Array.from(p243.slice(0, 5)), [147, 103, 202, 131, 228]);
  const c384 = contiguous.get('384')!.labels as string[];
  const s384 = byExp.get('384')!.labels as string[];
  assert.deepEqual(s384, Array.from(p384, (p) => c384[p]));
  const c243 = contiguous.get('243')!.labels as string[];
  assert.deepEqual(byExp.get('243')!.labels, Array.from(p243, (p) => c243[p]));
  // Same fold sizes as contiguous.
  assert.deepEqual(labelFolds(s384, 'p').map((f) => f.test.length), [48, 48, 48, 48, 48, 48, 48, 48]);
});

test('label folds: sorted order, increasing rows, inner folds leave one remaining label out', () => {
  const labels = ['b', 'b', 'a', 'c', 'a', 'c'];
  const folds = labelFolds(labels, 'x');
  assert.deepEqual(folds.map((f) => Array.from(f.test)), [[2, 4], [0, 1], [3, 5]]);
  assert.deepEqual(Array.from(folds[0].train), [0, 1, 3, 5]);
  // Inner folds of fold 'a': validate 'b' (train positions 0,1) then 'c' (2,3).
  assert.deepEqual(folds[0].inner.map((i) => Array.from(i.val)), [[0, 1], [2, 3]]);
  assert.deepEqual(folds[0].inner.map((i) => Array.from(i.train)), [[2, 3], [0, 1]]);
});

test('too few folds is an input error naming the field', () => {
  assert.throws(() => labelFolds(['a', 'a', 'b'], 'data/samples.csv'), {
    name: 'InputError',
    message: 'data/samples.csv: fold: found 2 distinct fold labels; nested cross-validation needs at least 3 (one to test, two to validate α)',
  });
  assert.throws(() => labelFolds(['a', 'a'], 'data/samples.csv'), {
    name: 'InputError',
    message: 'data/samples.csv: fold: found 1 distinct fold label(s) ("a"); expected at least 2 (3 for nested cross-validation)',
  });
});
