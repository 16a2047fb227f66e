import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { computeJob, type ExecuteSettings } from '../../src/pipeline/sweep/execute.js';
import { chunkDir, chunkRange, computeChunk, mergeChunks, missingParts, writePart } from '../../src/pipeline/sweep/chunks.js';
import { tmp } from './helpers.js';

// Two experiments (Pereira's 243 and 384) with few voxels; a σ grid (one fit per value, selected
// per fold) and a plain spec; ridge and OLS.
const EXPERIMENT = `
name: chunked
datasets: [sim:pereira:units=6]
features: ['oasm:sigma=0.5,2', 'wp:sigma=1']
estimators: [ridge, ols]
unit_chunk: 20
`;

test('chunks: unit ranges cover every unit of each experiment once, in order', () => {
  assert.deepEqual([0, 1, 2, 3].map((i) => chunkRange(i, 5, 12)), [[0, 5], [5, 10], [10, 12], [12, 12]]);
});

test('chunked fit: every chunk computed apart (decompositions written once, read by the others) and merged equals the whole fit byte for byte', { timeout: 600_000 }, async () => {
  const dir = tmp('chunks');
  const store = join(dir, 'store');
  const plan = await planExperiment(parseExperiment(EXPERIMENT, join(dir, 'chunked.yaml'), dir));
  assert.equal(plan.jobs.length, 4);
  // (OLS has no inner-CV score to select a grid value by validation with.)
  const jobs = plan.jobs.filter((j) => !(j.estimator === 'ols' && j.select === 'validation'));
  // Chunks of a multiple of the unit batch: each chunk's batches are batches of the whole fit.
  const settings: ExecuteSettings = { store, backend: 'auto', blasThreads: 1, unitBatch: 20, runId: 'test' };
  for (const job of jobs) {
    assert.ok(job.chunks && job.chunks.count >= 3, `${job.features} ${job.estimator}: ${JSON.stringify(job.chunks)}`);
    const whole = await computeJob(job, settings);
    // Chunks in reverse order: the last one computes and stores the decompositions.
    let factorsMtime = 0;
    for (let i = job.chunks.count - 1; i >= 0; i--) {
      const c = await computeChunk(job, i, settings);
      writePart(store, job.key, i, Object.values(c.files)[0]);
      const grids = readdirSync(chunkDir(store, job.key)).filter((f) => f.startsWith('factors-g'));
      assert.equal(grids.length, job.features.startsWith('oasm') ? 2 : 1);
      const m = statSync(join(chunkDir(store, job.key), 'factors-g0', 'meta.json')).mtimeMs;
      if (factorsMtime === 0) factorsMtime = m;
      assert.equal(m, factorsMtime, 'the decompositions are written once and then only read');
    }
    assert.deepEqual(missingParts(store, job), []);
    const merged = await mergeChunks(job, settings);
    assert.equal(merged.files['score.json'], whole.files['score.json'], `${job.features} ${job.estimator}: score.json`);
    assert.equal(merged.files['units.csv'], whole.files['units.csv'], `${job.features} ${job.estimator}: units.csv`);
    assert.ok(existsSync(join(chunkDir(store, job.key), 'part-0.json')));
  }
});
