import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/io/dataset.js';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { FIXTURE } from '../lm/helpers.js';
import { tmp } from './helpers.js';

/** The key of an experiment's only job. */
async function onlyKey(text: string, dir: string): Promise<string> {
  const plan = await planExperiment(parseExperiment(text, join(dir, 'e.yaml'), dir));
  assert.equal(plan.jobs.length, 1);
  return plan.jobs[0].key;
}

test('job keys cover the files of an lm: model folder (config, weights, tokenizer), not just its path', { timeout: 120_000 }, async () => {
  const dir = tmp('stale-lm');
  const model = join(dir, 'model');
  cpSync(FIXTURE, model, { recursive: true });
  const text = `datasets: [sim:fedorenko:units=0.2]\nfeatures: ["lm:${model}:layer=1:pool=last"]\n`;
  const k0 = await onlyKey(text, dir);
  assert.equal(await onlyKey(text, dir), k0, 'same files, same key');
  const seen = new Set([k0]);
  // A valid change to each file (same meaning, other bytes) makes a new job.
  for (const f of ['config.json', 'tokenizer.json']) {
    const p = join(model, f);
    writeFileSync(p, JSON.stringify(JSON.parse(readFileSync(p, 'utf8')), null, 1));
    const k = await onlyKey(text, dir);
    assert.ok(!seen.has(k), `changing ${f} changes the key`);
    seen.add(k);
  }
  const weights = readFileSync(join(model, 'model.safetensors'));
  weights[weights.length - 1] ^= 1; // one bit of the last tensor
  writeFileSync(join(model, 'model.safetensors'), weights);
  assert.ok(!seen.has(await onlyKey(text, dir)), 'changing the weights changes the key');
});

test('job keys cover the files of a pereira-glove: folder (sentence vectors and sentence lists)', { timeout: 120_000 }, async () => {
  const dir = tmp('stale-pg');
  const pg = join(dir, 'pg');
  mkdirSync(pg);
  const d = await loadDataset('sim:pereira:units=0.1');
  const write = (scale: number) => {
    for (const e of ['243', '384']) {
      const texts = d.samples.text.filter((_, i) => d.samples.experiment[i] === e);
      writeFileSync(join(pg, `stimuli_${e}sentences.txt`), texts.join('\n') + '\n');
      writeFileSync(join(pg, `glove_sentence_vectors_${e}.txt`), texts.map((_, i) => [1, 2, 3].map((k) => (scale * Math.sin(i * 3 + k)).toFixed(5)).join(' ')).join('\n') + '\n');
    }
  };
  write(1);
  const text = `datasets: ["sim:pereira:units=0.1"]\nfeatures: ["pereira-glove:dir=pg"]\n`;
  const k0 = await onlyKey(text, dir);
  write(-1);
  assert.notEqual(await onlyKey(text, dir), k0, 'other vectors in the same files: a new job');
});
