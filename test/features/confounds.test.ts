import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset } from '../../src/data/dataset.js';
import { countWords, positionOneHot, positionRamps, wordCount, wordPosition, positionAndWordRate } from '../../src/features/confounds.js';

/** A dataset with the given block lengths and texts (responses irrelevant). */
function design(blockLengths: number[], text?: string[]): Dataset {
  const block: string[] = [];
  const position: number[] = [];
  blockLengths.forEach((L, b) => { for (let t = 0; t < L; t++) { block.push(`b${b}`); position.push(t); } });
  const n = block.length;
  return {
    name: 't', source: 't', y: { rows: n, cols: 1, data: new Float64Array(n) },
    samples: { stimulusId: block.map((_, i) => String(i)), text: text ?? new Array(n).fill(''), block, position: Int32Array.from(position), experiment: new Array(n).fill(''), fold: block.slice() },
    units: { id: ['u'], subject: ['s'], network: [''], coords: null },
    design: { kind: 'labels' }, shuffleOrder: [],
  };
}

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('SP rows match REFERENCE_VALUES (Pereira: L=3 σ=2.9, L=4 σ=3.4 and σ=1.2); column 3 stays 0 in 3-sentence passages', () => {
  const d = design([3, 4]);
  const sp29 = positionOneHot(d, 2.9);
  assert.equal(sp29.cols, 4);
  close(sp29.data.subarray(0, 4), [0.338302, 0.333331, 0.328367, 0], 1e-6, 'L=3 σ=2.9 row 0');
  const sp34 = positionOneHot(d, 3.4);
  close(sp34.data.subarray(3 * 4, 4 * 4), [0.262066, 0.254997, 0.245004, 0.237933], 1e-6, 'L=4 σ=3.4 row 0');
  const sp12 = positionOneHot(d, 1.2);
  close(sp12.data.subarray(3 * 4, 4 * 4), [0.56738, 0.317825, 0.097561, 0.017234], 1e-6, 'L=4 σ=1.2 row 0');
  // σ = 0: the plain one-hot.
  close(positionOneHot(d, 0).data.subarray(4, 8), [0, 1, 0, 0], 0, 'σ=0 row 1');
});

test('WP = smoothed one-hot over 8 positions + raw position (Fedorenko, REFERENCE_VALUES σ=4.7 and 4.3)', () => {
  const d = design([8, 8]);
  const wp = wordPosition(d, 4.7);
  assert.equal(wp.cols, 9);
  close(wp.data.subarray(0, 9), [0.169029, 0.162225, 0.149712, 0.13347, 0.116045, 0.100096, 0.087976, 0.081447, 0], 1e-6, 'σ=4.7 position 0');
  close(wp.data.subarray(3 * 9, 4 * 9), [0.13347, 0.132287, 0.130034, 0.126971, 0.123506, 0.120167, 0.117521, 0.116045, 3], 1e-6, 'σ=4.7 position 3');
  close(wordPosition(d, 4.3).data.subarray(9 * 8, 9 * 8 + 8), [0.183519, 0.174287, 0.157432, 0.135783, 0.112794, 0.091969, 0.076299, 0.067916], 1e-6, 'σ=4.3 position 0 of block 2');
});

test('Blank ramps (len 11): row t = [min(k, t) for k = 1…10]', () => {
  const d = design([13]);
  const r = positionRamps(d, 11);
  assert.equal(r.cols, 10);
  close(r.data.subarray(0, 10), new Array(10).fill(0), 0, 't=0');
  close(r.data.subarray(10, 20), new Array(10).fill(1), 0, 't=1');
  close(r.data.subarray(50, 60), [1, 2, 3, 4, 5, 5, 5, 5, 5, 5], 0, 't=5');
  close(r.data.subarray(120, 130), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 't=12');
});

test('word counts split on whitespace (Python str.split), and PWR = SP + SL', () => {
  assert.equal(countWords('A clear and joyous day it '), 6);
  assert.equal(countWords('  '), 0);
  assert.equal(countWords("It is in every beekeeper's interest."), 6);
  const d = design([2], ['One two three.', 'Four  five']);
  assert.deepEqual(Array.from(wordCount(d).data), [3, 2]);
  const pwr = positionAndWordRate(d, 0);
  assert.deepEqual(Array.from(pwr.data), [1, 0, 3, 0, 1, 2]);
  assert.throws(() => wordCount(design([2])), { name: 'InputError', message: "t: text: the word-count feature counts the words of each sample's text, and this dataset has no text" });
});
