import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MT19937 } from '../../src/random/index.js';

// Reference values: REFERENCE_VALUES.md §J (numpy 2.4), plus literals printed by numpy 2.4
// (python3 -c "import numpy as np; r=np.random.RandomState(42); ...").

test('raw uint32 stream matches numpy RandomState (standard MT19937 init_genrand)', () => {
  const r = new MT19937(5489);
  assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32()], [3499211612, 581869302, 3890346734]);
  const r42 = new MT19937(42);
  assert.deepEqual([r42.nextUint32(), r42.nextUint32(), r42.nextUint32()], [1608637542, 3421126067, 4083286876]);
});

test('Fedorenko shuffled labels: seed 42, shuffle(arange(416))', () => {
  const p = new MT19937(42).permutation(416);
  assert.deepEqual(Array.from(p.subarray(0, 20)), [152, 294, 410, 94, 70, 397, 368, 219, 39, 55, 258, 414, 299, 30, 402, 286, 110, 222, 322, 72]);
  assert.deepEqual(Array.from(p.subarray(411)), [71, 106, 270, 348, 102]);
  // It is a permutation.
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 416 }, (_, i) => i));
});

test('shuffle of an array applies the same swaps as permutation (labels_new[k] = labels_old[perm[k]])', () => {
  const labels = Array.from({ length: 416 }, (_, i) => `w${i}`);
  new MT19937(42).shuffle(labels);
  const perm = new MT19937(42).permutation(416);
  assert.deepEqual(labels, Array.from(perm, (k) => `w${k}`));
  const f = new Float64Array(416).map((_, i) => i * 0.5);
  new MT19937(42).shuffle(f);
  assert.deepEqual(Array.from(f), Array.from(perm, (k) => k * 0.5));
});

test('Pereira shuffled labels: 384 block first, then 243 block, same stream', () => {
  const r = new MT19937(42);
  const p384 = r.permutation(384);
  const p243 = r.permutation(243);
  assert.deepEqual(Array.from(p384.subarray(0, 20)), [268, 250, 355, 332, 56, 372, 33, 114, 375, 238, 245, 118, 195, 261, 110, 175, 152, 360, 367, 247]);
  assert.deepEqual(Array.from(p243.subarray(0, 20)), [147, 103, 202, 131, 228, 145, 55, 97, 141, 225, 31, 200, 232, 198, 2, 96, 134, 122, 130, 203]);
});

test('Blank shuffled labels: seed 42, shuffle(arange(1317))', () => {
  const p = new MT19937(42).permutation(1317);
  assert.deepEqual(Array.from(p.subarray(0, 20)), [261, 991, 554, 49, 857, 1148, 1088, 558, 78, 594, 481, 1034, 398, 1248, 670, 700, 447, 893, 231, 802]);
});

test('sklearn ShuffleSplit(10, train_size=0.9, random_state=1) test sets', () => {
  const cases: Array<[number, number, number[], number[]]> = [
    [243, 25, [4, 27, 34, 51, 58, 67, 89, 93, 107, 116], [3, 4, 15, 20, 24, 31, 34, 47, 74, 77]],
    [384, 39, [4, 5, 6, 62, 90, 95, 98, 102, 106, 117], [2, 19, 55, 64, 73, 87, 90, 117, 127, 135]],
    [416, 42, [4, 5, 6, 17, 29, 58, 62, 67, 80, 81], [2, 6, 8, 17, 56, 73, 81, 90, 94, 100]],
    [1317, 132, [12, 19, 49, 56, 60, 65, 75, 81, 88, 101], [4, 6, 28, 40, 54, 74, 79, 81, 86, 96]],
  ];
  for (const [n, nTestExpected, split0, split1] of cases) {
    const nTrain = Math.floor(0.9 * n);
    const nTest = n - nTrain;
    assert.equal(nTest, nTestExpected);
    const rng = new MT19937(1);
    const tests: number[][] = [];
    for (let s = 0; s < 10; s++) {
      const perm = rng.permutation(n);
      tests.push(Array.from(perm.subarray(0, nTest)).sort((a, b) => a - b));
    }
    assert.deepEqual(tests[0].slice(0, 10), split0, `n=${n} split 0`);
    assert.deepEqual(tests[1].slice(0, 10), split1, `n=${n} split 1`);
  }
});

test('randomInterval: bounds, max 0, and rejection on a non-power-of-two range', () => {
  const r = new MT19937(3);
  assert.equal(r.randomInterval(0), 0);
  for (let k = 0; k < 2000; k++) {
    const v = r.randomInterval(5);
    assert.ok(v >= 0 && v <= 5 && Number.isInteger(v));
  }
  const big = r.randomInterval(0xffffffff);
  assert.ok(big >= 0 && big <= 0xffffffff);
  assert.throws(() => r.randomInterval(-1), RangeError);
  assert.throws(() => new MT19937(-1), RangeError);
  assert.throws(() => new MT19937(2 ** 32), RangeError);
});

test('legacy permutation and shuffle of a generic array (numpy RandomState(7), RandomState(1))', () => {
  const r = new MT19937(7);
  assert.deepEqual(Array.from(r.permutation(10)), [8, 5, 0, 2, 1, 9, 7, 3, 6, 4]);
  assertClose([r.standardNormal()], [-0.1569886595634109]);
  assert.deepEqual(Array.from(r.permutation(5)), [1, 2, 3, 0, 4]);
  const x = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  new MT19937(1).shuffle(x);
  assert.deepEqual(x, ['g', 'c', 'b', 'a', 'e', 'd', 'f']);
});

// standardNormal uses Math.log / Math.sqrt; V8's Math.log (fdlibm) can differ from glibc's log by
// 1 ulp, so Gaussian values are compared to ~1e-15 relative instead of bit-exactly.
function assertClose(actual: number[], expected: number[], rel = 1e-15): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('randomDouble and standardNormal match numpy legacy random_sample / standard_normal', () => {
  const r = new MT19937(42);
  assert.deepEqual([r.randomDouble(), r.randomDouble(), r.randomDouble()], [0.3745401188473625, 0.9507143064099162, 0.7319939418114051]);
  const g = [r.standardNormal(), r.standardNormal(), r.standardNormal(), r.standardNormal(), r.standardNormal()];
  assertClose(g, [-1.1118801180469204, 0.31890218468938336, 0.2790412922001377, 1.0105152848065264, -0.580878134023515]);
  const r2 = new MT19937(4294967295);
  assertClose([r2.standardNormal(), r2.standardNormal(), r2.standardNormal()], [0.6484086742306527, 0.6693235306338161, -1.0805437227474493]);
});

test('re-seeding resets the stream and the cached Gaussian', () => {
  const r = new MT19937(42);
  r.standardNormal(); // leaves a cached value
  r.seed(42);
  assert.equal(r.randomDouble(), 0.3745401188473625);
});
