/**
 * Issue 12 point 14: `inspect` used to accept (exit 0) a dataset that `score` refuses. It now runs
 * the check `score` runs (pipeline/score-plan.ts) and reports the same refusal: the summary on
 * stdout, the error line on stderr, exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { assertUsageError, brainmap, tmp } from './cli-helpers.js';

/** A dataset folder: 12 samples in 4 blocks of 3, 4 units, fold labels as given. */
function folder(folds: readonly string[]): string {
  const dir = tmp('inspect');
  const y = Float64Array.from({ length: 12 * 4 }, (_, i) => Math.sin(i * 1.7) + (i % 5));
  writeFileSync(join(dir, 'y.npy'), encodeNpy(y, [12, 4]));
  writeFileSync(join(dir, 'samples.csv'), `block,fold,text\n${Array.from({ length: 12 }, (_, r) => `b${Math.floor(r / 3)},${folds[r]},w${r} x\n`).join('')}`);
  return dir;
}

test('inspect refuses a 2-fold dataset exactly as score does (exit 2, same message)', async () => {
  const dir = folder(['A', 'A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'B', 'B']);
  const [inspect, score] = await Promise.all([
    brainmap(['inspect', dir]),
    brainmap(['score', '--dataset', dir, '--features', 'sl']),
  ]);
  const problem = `${dir}: fold: found 2 distinct fold labels; nested cross-validation needs at least 3 (one to test, two to validate α)`;
  assertUsageError(score, new RegExp(`^error: ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  assertUsageError(inspect, new RegExp(`^error: ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; brainmap score, partition and audit will refuse this dataset$`));
  // The summary is still printed, with the refusal where the folds would be.
  assert.match(inspect.stdout, /^ {2}refused {4}.*found 2 distinct fold labels/m);
  assert.match(inspect.stdout, /^fit check {4}brainmap score, partition and audit will refuse this dataset \(1 problem above\)$/m);
  const json = await brainmap(['inspect', dir, '--json']);
  assert.equal(json.status, 2);
  assert.deepEqual((JSON.parse(json.stdout) as { scoreRefuses: string[] }).scoreRefuses, [problem]);
});

test('inspect of a dataset score can fit exits 0 and says so', async () => {
  const dir = folder(['A', 'A', 'A', 'B', 'B', 'B', 'C', 'C', 'C', 'D', 'D', 'D']);
  const r = await brainmap(['inspect', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^ {2}folds {6}4 outer: 3 ×4 samples; 3 inner per outer fold$/m);
  assert.match(r.stdout, /^fit check {4}brainmap score can fit this dataset/m);
});
