import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brainScoreLinearShuffle, brainScorePearson, publishedCeiling, shuffleSplits } from '../../src/pipeline/brainscore.js';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { fromRows, takeCols } from '../../src/linalg/matrix.js';

test('ShuffleSplit(10, train 0.9, random_state=1) reproduces scikit-learn\'s test sets (REFERENCE_VALUES §J)', () => {
  const sorted10 = (a: Int32Array) => Array.from(a).sort((x, y) => x - y).slice(0, 10);
  const cases: Array<[number, number, number[], number[]]> = [
    [243, 25, [4, 27, 34, 51, 58, 67, 89, 93, 107, 116], [3, 4, 15, 20, 24, 31, 34, 47, 74, 77]],
    [384, 39, [4, 5, 6, 62, 90, 95, 98, 102, 106, 117], [2, 19, 55, 64, 73, 87, 90, 117, 127, 135]],
    [416, 42, [4, 5, 6, 17, 29, 58, 62, 67, 80, 81], [2, 6, 8, 17, 56, 73, 81, 90, 94, 100]],
    [1317, 132, [12, 19, 49, 56, 60, 65, 75, 81, 88, 101], [4, 6, 28, 40, 54, 74, 79, 81, 86, 96]],
  ];
  for (const [n, nTest, split0, split1] of cases) {
    const s = shuffleSplits(n);
    assert.equal(s.length, 10);
    assert.equal(s[0].test.length, nTest);
    assert.equal(s[0].train.length, n - nTest);
    assert.deepEqual(sorted10(s[0].test), split0, `n=${n} split 0`);
    assert.deepEqual(sorted10(s[1].test), split1, `n=${n} split 1`);
  }
});

test('Brain-Score correlation: Σ (x̃/(‖x̃‖+1e-8))·(ỹ/(‖ỹ‖+1e-8))', () => {
  const r = brainScorePearson(fromRows([[1], [2], [4]]), fromRows([[2], [4], [8]]));
  assert.ok(Math.abs(r[0] - 1) < 1e-7 && r[0] < 1);
  assert.equal(brainScorePearson(fromRows([[1], [1]]), fromRows([[0], [3]]))[0], 0);
});

test('feeding the responses back as features scores 1 (raw), and ceilings normalise and clip to [0, 1]', async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const backend = getBackend('auto');
  // The first 5 units as features: those units are predicted exactly.
  const x = takeCols(d.y, [0, 1, 2, 3, 4]);
  const own = await brainScoreLinearShuffle({ ...d, y: x }, x, { backend, ceiling: null });
  assert.ok(Math.abs(own.raw - 1) < 1e-6, `raw ${own.raw}`);
  const withCeiling = await brainScoreLinearShuffle({ ...d, name: 'fedorenko2016' }, x, { backend });
  assert.equal(withCeiling.experiments[0].ceiling, 0.225257);
  assert.equal(withCeiling.experiments[0].normalized, Math.min(1, Math.max(0, withCeiling.raw / 0.225257)));
  assert.equal(publishedCeiling('pereira2018', '243'), 0.35378928);
  assert.equal(publishedCeiling('sim:pereira', '243'), null);
});
