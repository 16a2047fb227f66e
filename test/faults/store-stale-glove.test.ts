import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetVocabulary } from '../../src/features/embeddings.js';
import { loadDataset } from '../../src/io/dataset.js';
import { assertNoStack, brainmap, tmp, writeExperiment } from './helpers.js';

/** A GloVe-format file with a vector for every word of the dataset (values from `seed`). */
async function writeGlove(path: string, seed: number): Promise<void> {
  const words = [...datasetVocabulary(await loadDataset('sim:fedorenko:units=0.2'))].sort();
  const lines = words.map((w, i) => `${w} ${[0, 1, 2, 3].map((k) => (Math.sin(seed * 100 + i * 4 + k) * 0.5).toFixed(6)).join(' ')}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

test('results of a glove: feature are keyed by the vectors file\'s content: new content under the same path is computed again', { timeout: 300_000 }, async () => {
  const dir = tmp('stale-glove');
  const vectors = join(dir, 'vectors.txt');
  await writeGlove(vectors, 1);
  const exp = writeExperiment(dir, 'glove.yaml', 'name: glove\ndatasets: [sim:fedorenko:units=0.2]\nfeatures: [glove:path=vectors.txt]\n');
  const store = join(dir, 'store');
  const first = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assertNoStack(first.stderr);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /glove: 1 jobs — computed 1, already in the store 0, failed 0/);
  const before = readFileSync(vectors, 'utf8');
  await writeGlove(vectors, 2);
  assert.equal(readFileSync(vectors, 'utf8').length, before.length, 'same path, same size, other values');
  const second = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /glove: 1 jobs — computed 1, already in the store 0, failed 0/, 'the new vectors are a new job');
  const third = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assert.match(third.stdout, /glove: 1 jobs — computed 0, already in the store 1, failed 0/);
});
