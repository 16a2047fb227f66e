/**
 * Issue 17: a dataset folder whose y.npy is read in unit batches (Dataset.ySource; every fold's
 * decompositions computed once and shared by the batches) scores exactly as the same folder read
 * whole — forced here on a small folder with tiny batches (readDatasetFolder batchedY: true and
 * unitBatch 2–3 in process; $BRAINMAP_BATCHED_Y_BYTES=0 and --unit-batch 2 through the CLI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatasetFolder } from '../../src/io/folder.js';
import { writeNpy } from '../../src/io/npy.js';
import { datasetHash } from '../../src/data/hash.js';
import { getBackend } from '../../src/linalg/index.js';
import type { Matrix64 } from '../../src/linalg/matrix.js';
import { scoreFeatures, type ScoreOptions, type ScoreResult } from '../../src/pipeline/score.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { cliEntry } from '../cli-entry.js';

const backend = getBackend('auto');

/**
 * A folder of 2 experiments × 4 blocks × 9 samples, 13 units (float32 y with a planted linear
 * signal of 6 features plus noise, one constant unit) and the features as X.npy.
 */
function makeFolder(): { dir: string; x: Matrix64 } {
  const rng = new MT19937(17);
  const n = 72;
  const p = 6;
  const u = 13;
  const x = Float64Array.from({ length: n * p }, () => rng.standardNormal());
  const w = Float64Array.from({ length: p * u }, () => rng.standardNormal());
  const y = new Float32Array(n * u);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < u; j++) {
      let s = 100 + j + (j % 3) * rng.standardNormal();
      for (let k = 0; k < p; k++) s += x[i * p + k] * w[k * u + j] * (j / u);
      y[i * u + j] = j === 5 ? 7 : s;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-batched-'));
  writeNpy(join(dir, 'y.npy'), y, [n, u]);
  writeNpy(join(dir, 'X.npy'), x, [n, p]);
  const lines = ['experiment,block'];
  for (let i = 0; i < n; i++) lines.push(`${i < 36 ? 'a' : 'b'},${Math.floor(i / 9)}`);
  writeFileSync(join(dir, 'samples.csv'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'units.csv'), ['id,subject', ...Array.from({ length: u }, (_, j) => `u${j},s${j % 2}`)].join('\n') + '\n');
  return { dir, x: { rows: n, cols: p, data: x } };
}

/**
 * Every per-unit output equal; `valScoreTol`: the inner-CV score (not written to units.csv or
 * score.json) within this absolute difference instead — OpenBLAS's sgemm rounds a column's float32
 * products differently for different numbers of columns (other kernels for narrow matrices), so
 * validation errors summed from them move in their last bits when the units per batch change.
 */
function assertSameScores(a: ScoreResult, b: ScoreResult, what: string, valScoreTol = 0): void {
  assert.equal(a.experiments.length, b.experiments.length);
  for (const [k, ea] of a.experiments.entries()) {
    const eb = b.experiments[k];
    for (const key of ['unitIndex', 'r2', 'r', 'alpha', 'foldSse', 'foldSse0', 'foldR', 'gamma'] as const) {
      assert.deepEqual(eb[key], ea[key], `${what}: experiment ${ea.experiment} ${key}`);
    }
    if (valScoreTol === 0) assert.deepEqual(eb.valScore, ea.valScore, `${what}: valScore`);
    else ea.valScore.forEach((v, j) => assert.ok(Object.is(v, eb.valScore[j]) || Math.abs(v - eb.valScore[j]) <= valScoreTol, `${what}: valScore ${j}: ${v} vs ${eb.valScore[j]}`));
    assert.deepEqual(eb.errors, ea.errors, `${what}: errors`);
    assert.deepEqual(eb.predictions, ea.predictions, `${what}: predictions`);
  }
  assert.deepEqual(b.r2, a.r2);
  assert.deepEqual(b.r, a.r);
}

test('a dataset folder read in unit batches scores exactly as read whole (ridge, OLS, errors and predictions kept)', { timeout: 300_000 }, async () => {
  const { dir, x } = makeFolder();
  const whole = readDatasetFolder(dir);
  const batched = readDatasetFolder(dir, { batchedY: true });
  assert.ok(batched.ySource && batched.y.data.length === 0, 'batched: no float64 copy of y');
  assert.equal(datasetHash(batched), datasetHash(whole), 'the hash reads the same bytes');
  const runs: { name: string; opts: Omit<ScoreOptions, 'backend'> }[] = [
    { name: 'ridge', opts: { split: 'contiguous', keepErrors: true, keepPredictions: true } },
    { name: 'ridge, factored maps, paper compat', opts: { split: 'contiguous', compat: 'paper', alphas: [0.1, 3, 100, 1e4], form: 'factored' } },
    { name: 'OLS, shuffled', opts: { split: 'shuffled', estimator: 'ols', keepErrors: true } },
  ];
  for (const { name, opts } of runs) {
    const ref = await scoreFeatures(whole, x, { ...opts, backend });
    for (const unitBatch of [2, 3, 13]) {
      const got = await scoreFeatures(batched, x, { ...opts, backend, unitBatch });
      // The same units per batch in memory: every number equal.
      assertSameScores(await scoreFeatures(whole, x, { ...opts, backend, unitBatch }), got, `${name}, unit batch ${unitBatch}`);
      // Against the default batch (all 13 units at once).
      assertSameScores(ref, got, `${name}, unit batch ${unitBatch} vs whole`, 1e-9);
    }
  }
});

test('brainmap score on a folder read in batches ($BRAINMAP_BATCHED_Y_BYTES=0, --unit-batch 2) writes the same score.json and units.csv', { timeout: 300_000 }, () => {
  const { dir } = makeFolder();
  const run = (out: string, env: Record<string, string>, extra: string[]) => {
    const r = spawnSync(process.execPath, [...cliEntry(), 'score', '--dataset', dir, '--features', `file:${join(dir, 'X.npy')}`, '--out', out, ...extra], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
  };
  const a = join(dir, 'whole');
  const b = join(dir, 'batched');
  run(a, { BRAINMAP_BATCHED_Y_BYTES: String(1 << 30) }, []);
  run(b, { BRAINMAP_BATCHED_Y_BYTES: '0' }, ['--unit-batch', '2']);
  for (const f of ['score.json', 'units.csv']) assert.equal(readFileSync(join(b, f), 'utf8'), readFileSync(join(a, f), 'utf8'), f);
  const bad = spawnSync(process.execPath, [...cliEntry(), 'score', '--dataset', dir, '--features', `file:${join(dir, 'X.npy')}`], { encoding: 'utf8', env: { ...process.env, BRAINMAP_BATCHED_Y_BYTES: '1e9' } });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').at(-1), "error: BRAINMAP_BATCHED_Y_BYTES: value: '1e9' is not a whole number of bytes");
});
