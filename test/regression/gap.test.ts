import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyGap, blockFolds, blockIds, type OuterFold } from '../../src/regression/splits.js';

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const plain = (folds: OuterFold[]) => folds.map((f) => ({
  train: Array.from(f.train), test: Array.from(f.test),
  inner: f.inner.map((i) => ({ train: Array.from(i.train), val: Array.from(i.val) })),
}));

test('--gap 1, contiguous, one block of 12 in outer/inner blocks of 4: one sample dropped on each side, one side at the ends (by hand)', () => {
  const folds = applyGap(blockFolds(identity(12), 4, 4, 't'), new Int32Array(12), 1, 't');
  assert.deepEqual(plain(folds), [
    { train: [5, 6, 7, 8, 9, 10, 11], test: [0, 1, 2, 3], inner: [{ train: [4, 5, 6], val: [0, 1, 2] }, { train: [0, 1], val: [3, 4, 5, 6] }] },
    { train: [0, 1, 2, 9, 10, 11], test: [4, 5, 6, 7], inner: [{ train: [3, 4, 5], val: [0, 1, 2] }, { train: [0, 1, 2], val: [3, 4, 5] }] },
    { train: [0, 1, 2, 3, 4, 5, 6], test: [8, 9, 10, 11], inner: [{ train: [5, 6], val: [0, 1, 2, 3] }, { train: [0, 1, 2], val: [4, 5, 6] }] },
  ]);
});

test('--gap 2 does not reach across a block boundary (blocks of 5 and 7)', () => {
  const blocks = blockIds(['A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'B', 'B', 'B'], identity(12));
  assert.deepEqual(Array.from(blocks), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  const folds = plain(applyGap(blockFolds(identity(12), 4, 4, 't'), blocks, 2, 't'));
  assert.deepEqual(folds.map((f) => f.train), [[5, 6, 7, 8, 9, 10, 11], [0, 1, 10, 11], [0, 1, 2, 3, 4, 5]]);
  assert.deepEqual(folds[1].inner, [{ train: [2, 3], val: [0, 1] }, { train: [0, 1], val: [2, 3] }]);
});

test('--gap 1 on shuffled folds drops the neighbours of every held-out sample, outer and inner (by hand)', () => {
  const labels = Int32Array.from([0, 5, 10, 15, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14]);
  const [f0] = plain(applyGap(blockFolds(labels, 4, 6, 't'), new Int32Array(16), 1, 't'));
  assert.deepEqual(f0, {
    train: [2, 3, 7, 8, 12, 13], test: [0, 5, 10, 15],
    inner: [{ train: [4, 5], val: [0, 1, 2] }, { train: [0, 1], val: [3, 4, 5] }],
  });
});

test('--gap 0 leaves folds unchanged; a gap that empties a training set is one clear error', () => {
  const folds = blockFolds(identity(12), 4, 4, 't');
  assert.equal(applyGap(folds, new Int32Array(12), 0, 't'), folds);
  assert.throws(() => applyGap(folds, new Int32Array(12), 8, 'data/x'), { message: 'data/x: gap: --gap 8 leaves outer fold 0 with no training samples; expected a smaller gap' });
  assert.throws(() => applyGap(folds, new Int32Array(12), 5, 'data/x'), { message: 'data/x: gap: --gap 5 leaves an inner fold of outer fold 0 with no training samples; expected a smaller gap' });
});
