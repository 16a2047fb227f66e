import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gaussianFilter1d,
  gaussianKernel1d,
  gaussianRadius,
  reflectIndex,
  smoothIdentityBlock,
} from '../../src/features/smoothing.js';
import { blockStartsFromLabels, oasm, oasmFromLabels } from '../../src/features/oasm.js';

// Reference values: REFERENCE_VALUES.md §J (scipy 1.17 gaussian_filter1d, reflect, truncate 4),
// and a few literals printed by scipy 1.17 here.

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (tol ${tol})`);
  }
}

function row(block: Float64Array, n: number, i: number): Float64Array {
  return block.subarray(i * n, (i + 1) * n);
}

function oneHot(n: number, k: number): Float64Array {
  const e = new Float64Array(n);
  e[k] = 1;
  return e;
}

const TOL = 1e-8;

test('kernels and radii (§J)', () => {
  assert.equal(gaussianRadius(0.1), 0);
  close(gaussianKernel1d(0.1), [1], 0, 'σ=0.1');
  assert.equal(gaussianRadius(0.3), 1);
  close(gaussianKernel1d(0.3), [0.003836, 0.992327, 0.003836], 1e-6, 'σ=0.3');
  assert.equal(gaussianRadius(1.0), 4);
  close(gaussianKernel1d(1.0), [0.000134, 0.004432, 0.053991, 0.241971, 0.398943, 0.241971, 0.053991, 0.004432, 0.000134], 1e-6, 'σ=1');
  assert.equal(gaussianRadius(1.5), 6);
  assert.equal(gaussianRadius(0.125), 1); // floor(0.5 + 0.5)
  assert.equal(gaussianRadius(0.12), 0);
  const k = gaussianKernel1d(2.7);
  assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-15);
});

test('reflect extension is half-sample symmetric with period 2n', () => {
  // n = 3: ... 2 1 0 | 0 1 2 | 2 1 0 | 0 1 2 ...
  const got = [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8].map((j) => reflectIndex(j, 3));
  assert.deepEqual(got, [0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2]);
  assert.equal(reflectIndex(5, 1), 0);
});

test('OASM blocks gaussian_filter1d(I_n, σ, axis=1) (§J)', () => {
  const b03 = smoothIdentityBlock(4, 0.3);
  close(row(b03, 4, 0), [0.99616374, 0.00383626, 0, 0], TOL, 'n=4 σ=0.3 row0');
  close(row(b03, 4, 1), [0.00383626, 0.99232748, 0.00383626, 0], TOL, 'n=4 σ=0.3 row1');
  close(row(b03, 4, 2), [0, 0.00383626, 0.99232748, 0.00383626], TOL, 'n=4 σ=0.3 row2 (symmetric)');
  close(row(b03, 4, 3), [0, 0, 0.00383626, 0.99616374], TOL, 'n=4 σ=0.3 row3 (symmetric)');

  const b1 = smoothIdentityBlock(4, 1.0);
  close(row(b1, 4, 0), [0.64091492, 0.29596257, 0.05842299, 0.00469952], TOL, 'n=4 σ=1 row0');
  close(row(b1, 4, 1), [0.29596257, 0.40337533, 0.24223911, 0.05842299], TOL, 'n=4 σ=1 row1');

  const b2 = smoothIdentityBlock(3, 2.0);
  close(row(b2, 3, 0), [0.38914299, 0.33328678, 0.27757024], TOL, 'n=3 σ=2 row0');
  close(row(b2, 3, 1), [0.33328678, 0.33342645, 0.33328678], TOL, 'n=3 σ=2 row1');

  const b15 = smoothIdentityBlock(8, 1.5);
  close(row(b15, 8, 0), [0.47893179, 0.3223087, 0.14533552, 0.04359175, 0.0086256, 0.00111742, 0.00008922, 0], TOL, 'n=8 σ=1.5 row0');
  assert.equal(b15[7], 0); // distance 7 > radius 6: exactly zero

  const b48 = smoothIdentityBlock(4, 4.8);
  close(row(b48, 4, 0), [0.25036018, 0.25015346, 0.24985866, 0.2496277], TOL, 'n=4 σ=4.8 row0');
});

test('Pereira SP blocks (§J)', () => {
  close(row(smoothIdentityBlock(3, 2.9), 3, 0), [0.338302, 0.333331, 0.328367], 1e-6, 'L=3 σ=2.9');
  close(row(smoothIdentityBlock(4, 3.4), 4, 0), [0.262066, 0.254997, 0.245004, 0.237933], 1e-6, 'L=4 σ=3.4');
  close(row(smoothIdentityBlock(4, 1.2), 4, 0), [0.56738, 0.317825, 0.097561, 0.017234], 1e-6, 'L=4 σ=1.2');
});

test('Fedorenko WP smoothing of a length-8 one-hot (§J)', () => {
  close(gaussianFilter1d(oneHot(8, 0), 4.7), [0.169029, 0.162225, 0.149712, 0.13347, 0.116045, 0.100096, 0.087976, 0.081447], 1e-6, 'σ=4.7 pos0');
  close(gaussianFilter1d(oneHot(8, 3), 4.7), [0.13347, 0.132287, 0.130034, 0.126971, 0.123506, 0.120167, 0.117521, 0.116045], 1e-6, 'σ=4.7 pos3');
  close(gaussianFilter1d(oneHot(8, 0), 4.3), [0.183519, 0.174287, 0.157432, 0.135783, 0.112794, 0.091969, 0.076299, 0.067916], 1e-6, 'σ=4.3 pos0');
  // Full-precision scipy 1.17 values for σ=4.7, position 0.
  close(
    gaussianFilter1d(oneHot(8, 0), 4.7),
    [0.16902893440059538, 0.16222480090529545, 0.14971202688208451, 0.13346993203603955, 0.11604519580818781, 0.100096280270809, 0.08797550251425604, 0.0814473271827323],
    1e-14,
    'σ=4.7 pos0 (full precision)',
  );
});

test('gaussianFilter1d on general signals, radius > n, and σ = 0 (scipy 1.17 literals)', () => {
  const x = [0.5, -1.25, 2.0, 0.0, 3.5];
  close(gaussianFilter1d(x, 3.0), [0.7194384804773335, 0.807067209744041, 0.9494514724341324, 1.0926078999859001, 1.181434937358593], 1e-14, 'σ=3 (radius 12 > n=5)');
  close(gaussianFilter1d(x, 0.7), [0.13820439981146038, -0.19386695242912222, 0.9216518236747103, 1.1513699461273037, 2.7326407828156487], 1e-14, 'σ=0.7');
  close(gaussianFilter1d([1.0], 2.0), [1.0], 1e-15, 'n=1');
  close(gaussianFilter1d([2.0, -1.0], 10.0), [0.5000123815598153, 0.4999876184401846], 1e-14, 'n=2 σ=10');
  const src = new Float64Array([1, 2, 3]);
  const c = gaussianFilter1d(src, 0);
  assert.deepEqual(Array.from(c), [1, 2, 3]);
  c[0] = 99;
  assert.equal(src[0], 1); // a copy
  assert.deepEqual(Array.from(gaussianFilter1d([], 1.0)), []);
  assert.throws(() => gaussianFilter1d([1], -1), RangeError);
});

test('OASM block structure: zero off-block, rows sum to 1, symmetric blocks (scipy literal for sizes 3+4, σ=2.5)', () => {
  const expected = [
    [0.34957141196928, 0.333330614529136, 0.317097973501584, 0, 0, 0, 0],
    [0.333330614529136, 0.333338770941727, 0.333330614529136, 0, 0, 0, 0],
    [0.317097973501584, 0.333330614529136, 0.34957141196928, 0, 0, 0, 0],
    [0, 0, 0, 0.31221055049624, 0.27561346915252, 0.224164065676002, 0.188011914675238],
    [0, 0, 0, 0.27561346915252, 0.260761147019722, 0.239461318151756, 0.224164065676002],
    [0, 0, 0, 0.224164065676002, 0.239461318151756, 0.260761147019722, 0.27561346915252],
    [0, 0, 0, 0.188011914675238, 0.224164065676002, 0.27561346915252, 0.31221055049624],
  ];
  const byStarts = oasm([0, 3], 7, 2.5);
  const byStartsWithEnd = oasm([0, 3, 7], 7, 2.5);
  const byLabels = oasm(['p0', 'p0', 'p0', 'p1', 'p1', 'p1', 'p1'], 7, 2.5);
  const byNumericLabels = oasmFromLabels([5, 5, 5, 2, 2, 2, 2], 2.5);
  for (const m of [byStarts, byStartsWithEnd, byLabels, byNumericLabels]) {
    assert.equal(m.rows, 7);
    assert.equal(m.cols, 7);
    close(m.data, expected.flat(), 1e-13, 'OASM 3+4');
  }

  // Fedorenko layout: 52 sentences × 8 words, starts arange(0, 417, 8).
  const starts = Array.from({ length: 53 }, (_, i) => 8 * i);
  for (const sigma of [0.1, 0.2, 1.8, 4.2]) {
    const m = oasm(starts, 416, sigma);
    for (let i = 0; i < 416; i++) {
      let s = 0;
      for (let j = 0; j < 416; j++) {
        const v = m.data[i * 416 + j];
        if (Math.floor(i / 8) !== Math.floor(j / 8)) assert.equal(v, 0, `σ=${sigma} (${i},${j}) off-block`);
        else assert.ok(Math.abs(v - m.data[j * 416 + i]) < 1e-15);
        s += v;
      }
      assert.ok(Math.abs(s - 1) < 1e-12, `σ=${sigma} row ${i} sums to ${s}`);
    }
  }
  // σ = 0.1 → radius 0 → identity.
  const id = oasm(starts, 416, 0.1);
  for (let i = 0; i < 416; i++) for (let j = 0; j < 416; j++) assert.equal(id.data[i * 416 + j], i === j ? 1 : 0);
  // σ = 0.2 → off-diagonal weight ≈ 3.7e-6 inside a block (METHODS §3.1).
  const m02 = oasm(starts, 416, 0.2);
  assert.ok(Math.abs(m02.data[1] - 3.7e-6) < 1e-7, `σ=0.2 neighbour weight ${m02.data[1]}`);
});

test('block starts from labels are contiguous runs; invalid inputs throw', () => {
  assert.deepEqual(blockStartsFromLabels(['a', 'a', 'b', 'b', 'b', 'a']), [0, 2, 5]);
  assert.deepEqual(blockStartsFromLabels([]), []);
  assert.throws(() => oasm([1, 3], 5, 1), RangeError);
  assert.throws(() => oasm([0, 3, 3], 5, 1), RangeError);
  assert.throws(() => oasm([0, 6], 5, 1), RangeError);
  assert.throws(() => oasm(['a', 'b'], 3, 1), RangeError);
  assert.equal(oasm([], 0, 1).data.length, 0);
});
