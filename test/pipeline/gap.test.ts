import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { Dataset } from '../../src/data/dataset.js';
import { getBackend } from '../../src/linalg/index.js';
import { applyGap, blockIds, planFolds } from '../../src/regression/splits.js';
import { scoreFeatures } from '../../src/pipeline/score.js';
import { cliEntry } from '../cli-entry.js';

/** 24 samples in two blocks (stories) of 12, block design with outer and inner blocks of 6. */
function design(): Dataset {
  const n = 24;
  const block = Array.from({ length: n }, (_, i) => (i < 12 ? 's1' : 's2'));
  return {
    name: 'gap', source: 'gap-data',
    y: { rows: n, cols: 2, data: Float64Array.from({ length: n * 2 }, (_, i) => Math.sin(1.3 * i) + (i % 5)) },
    samples: {
      stimulusId: Array.from({ length: n }, (_, i) => String(i)), text: Array<string>(n).fill(''), block,
      position: Int32Array.from({ length: n }, (_, i) => i % 12), experiment: Array<string>(n).fill(''), fold: null,
    },
    units: { id: ['u0', 'u1'], subject: ['s', 's'], network: ['', ''], coords: null },
    design: { kind: 'blocks', outerSize: 6, innerSize: 6 },
    shuffleOrder: [],
  };
}
const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

test('folds of a dataset with a gap: 2 samples dropped on each side of each test block, never across a story boundary (by hand)', () => {
  const d = design();
  const plan = { folds: applyGap(planFolds(d.design, identity(24), 'gap-data'), blockIds(d.samples.block, identity(24)), 2, 'gap-data') };
  assert.deepEqual(plan.folds.map((f) => Array.from(f.train)), [
    [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    [0, 1, 2, 3, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20, 21, 22, 23],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  ]);
  // Inner folds of outer fold 0: the old training rows 6…23 in inner blocks 6…11, 12…17, 18…23; rows 6, 7
  // left with the gap. Validation rows 8…11 (story s1) drop nothing of s2; validation rows 12…17 drop
  // 18, 19 (s1 rows 10, 11 are another story); validation rows 18…23 drop 16, 17.
  assert.deepEqual(plan.folds[0].inner.map((i) => Array.from(i.train, (q) => plan.folds[0].train[q])), [
    [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23], [8, 9, 10, 11, 20, 21, 22, 23], [8, 9, 10, 11, 12, 13, 14, 15],
  ]);
});

test('scoreFeatures records the gap in its settings and refuses a gap that leaves nothing to train on', async () => {
  const d = design();
  const x = { rows: 24, cols: 2, data: Float64Array.from({ length: 48 }, (_, i) => Math.cos(0.7 * i)) };
  const backend = getBackend('portable');
  const r = await scoreFeatures(d, x, { split: 'contiguous', backend, gap: 1 });
  assert.equal(r.settings.gap, 1);
  assert.equal((await scoreFeatures(d, x, { split: 'contiguous', backend })).settings.gap, 0);
  await assert.rejects(scoreFeatures(d, x, { split: 'contiguous', backend, gap: 12 }), { message: 'gap-data: gap: --gap 12 leaves an inner fold of outer fold 0 with no training samples; expected a smaller gap' });
});

test('score and partition take --gap <n>, a non-negative integer; anything else is one error line, exit 2', { timeout: 60_000 }, () => {
  for (const [cmd, extra, bad] of [['score', ['--features', 'sl'], '1.5'], ['partition', ['--a', 'sl', '--b', 'wn'], '-1']] as const) {
    const r = spawnSync(process.execPath, [...cliEntry(), cmd, '--dataset', 'sim:fedorenko', ...extra, '--gap', bad], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: --gap: '${bad}' is invalid; expected a non-negative integer (see brainmap ${cmd} --help)\n`);
  }
});
