import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { computeJob, plannedDataset, type ExecuteSettings } from '../../src/pipeline/sweep/execute.js';
import { NpyMatrixReader, writeNpy } from '../../src/io/npy.js';
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

test('chunk workers on a dataset folder read y.npy by their chunk\'s column range only (never y whole), and the merge equals the whole fit byte for byte', { timeout: 600_000 }, async (t) => {
  const dir = tmp('chunks-folder');
  const data = join(dir, 'data');
  mkdirSync(data);
  // 48 samples in 4 blocks × 50 units, float32 (as a large y.npy is stored).
  const nS = 48;
  const nU = 50;
  writeNpy(join(data, 'y.npy'), Float32Array.from({ length: nS * nU }, (_, k) => Math.sin(k * 12.9898) * 43758.5453 % 1), [nS, nU]);
  writeFileSync(join(data, 'samples.csv'), `block,text\n${Array.from({ length: nS }, (_, i) => `b${Math.floor(i / 12)},w${i} x${i % 5}`).join('\n')}\n`);
  const store = join(dir, 'store');
  const plan = await planExperiment(parseExperiment(`name: folder\ndatasets: [${data}]\nfeatures: ['oasm:sigma=1']\nunit_chunk: 20\n`, join(dir, 'folder.yaml'), dir));
  assert.equal(plan.jobs.length, 1);
  const job = plan.jobs[0];
  assert.deepEqual(job.chunks, { count: 3, size: 20 });
  const settings: ExecuteSettings = { store, backend: 'auto', blasThreads: 1, unitBatch: 20, runId: 'test' };
  // Every column range read from y.npy while each chunk is computed (the chunks first: a worker
  // that has y whole in memory already, from a whole job, uses that copy).
  const reads: [number, number][] = [];
  const original = NpyMatrixReader.prototype.readColumns;
  NpyMatrixReader.prototype.readColumns = function (u0: number, u1: number) {
    reads.push([u0, u1]);
    return original.call(this, u0, u1);
  };
  t.after(() => { NpyMatrixReader.prototype.readColumns = original; });
  for (let i = 0; i < 3; i++) {
    reads.length = 0;
    const c = await computeChunk(job, i, settings);
    writePart(store, job.key, i, Object.values(c.files)[0]);
    assert.deepEqual(reads, [chunkRange(i, 20, nU)], `chunk ${i} reads exactly its columns`);
  }
  // The workers' dataset holds no copy of y (its responses come through ySource).
  const d = await plannedDataset(job, { batchedY: true });
  assert.ok(d.ySource, 'y read in pieces');
  assert.equal(d.y.data.length, 0);
  NpyMatrixReader.prototype.readColumns = original;
  const merged = await mergeChunks(job, settings);
  const whole = await computeJob(job, settings);
  assert.equal(merged.files['score.json'], whole.files['score.json']);
  assert.equal(merged.files['units.csv'], whole.files['units.csv']);
});
