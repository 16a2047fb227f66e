/**
 * Experiment-file options of issue 17: `normalise: ceiling` (with `ceiling_method`) and `unit_chunk`.
 * Ceilings are checked against the numpy values of test/fixtures/ceiling (scripts/make-ceiling-fixtures.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { computeJob } from '../../src/pipeline/sweep/execute.js';
import type { ScoreJson } from '../../src/pipeline/results.js';
import { parseError, root, tmp } from './helpers.js';

const FIX = join(root, 'test', 'fixtures', 'ceiling');

const BASE = 'datasets: [sim:fedorenko:units=0.2]\nfeatures: [wp:sigma=1]\n';

test('experiment files: normalise, ceiling_method and unit_chunk are checked with the field and what was expected', () => {
  assert.equal(parseError(`${BASE}normalise: yes\n`), 'exp.yaml: normalise: expected ceiling (scores divided by the units\' noise ceilings, as score --normalise ceiling), got the string "yes"');
  assert.equal(parseError(`${BASE}ceiling_method: split-half\n`), 'exp.yaml: ceiling_method: applies with normalise: ceiling; add it or remove ceiling_method');
  assert.equal(parseError(`${BASE}normalise: ceiling\nceiling_method: median\n`), 'exp.yaml: ceiling_method: expected one of auto, split-half, subject-pool, got the string "median"');
  assert.equal(parseError(`${BASE}unit_chunk: 0\n`), 'exp.yaml: unit_chunk: expected a positive integer (units per chunk), got the number 0');
  assert.equal(parseError(`${BASE}unit_chunk: 2.5\n`), 'exp.yaml: unit_chunk: expected a positive integer (units per chunk), got the number 2.5');
  assert.equal(parseError(`${BASE}unit_chunk: many\n`), 'exp.yaml: unit_chunk: expected a positive integer (units per chunk), got the string "many"');
  const e = parseExperiment(`${BASE}normalise: ceiling\nunit_chunk: 8\n`, 'exp.yaml', '/base');
  assert.equal(e.normalise, 'auto');
  assert.equal(e.unitChunk, 8);
  assert.equal(parseExperiment(`${BASE}normalise: ceiling\nceiling_method: subject-pool\n`, 'exp.yaml', '/base').normalise, 'subject-pool');
});

test('planning: normalise enters the job key, unit_chunk does not; chunks only for one-band specs with more units than a chunk; a dataset without repeats fails split-half at planning', { timeout: 120_000 }, async () => {
  const plan = async (extra: string, features = '[wp:sigma=1]') => (await planExperiment(parseExperiment(`datasets: [sim:fedorenko:units=0.2]\nfeatures: ${features}\n${extra}`, 'exp.yaml', '/base'))).jobs;
  const [plain] = await plan('');
  const [chunked] = await plan('unit_chunk: 8\n');
  const [normalised] = await plan('normalise: ceiling\n');
  assert.equal(plain.chunks, undefined);
  assert.equal(chunked.key, plain.key, 'a chunked fit has the same result, so the same key');
  assert.deepEqual(chunked.chunks, { size: 8, count: 3 }); // 20 units
  assert.notEqual(normalised.key, plain.key);
  assert.equal(normalised.normalise, 'auto');
  assert.equal((await plan('unit_chunk: 20\n'))[0].chunks, undefined, 'no more units than a chunk: one job');
  assert.equal((await plan('unit_chunk: 8\n', "['wp:sigma=1 | sl']"))[0].chunks, undefined, 'banded fits are not chunked');
  await assert.rejects(plan('normalise: ceiling\nceiling_method: split-half\n'), (err: Error) => {
    assert.match(err.message, /^exp\.yaml: normalise: sim:fedorenko.*: repeat: the split-half ceiling needs repeated presentations/);
    return true;
  });
});

test('normalise: ceiling in an experiment file: the stored score.json has the ceiling-normalised scores with the numpy split-half ceilings, and ceilings.csv', { timeout: 120_000 }, async () => {
  const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as { split_half: { a: { ceiling: number[] }; b: { ceiling: number[] }; subjects: string[] } };
  const dir = tmp('normalise');
  const [job] = (await planExperiment(parseExperiment(`datasets: [${join(FIX, 'split-half')}]\nfeatures: [sp]\nestimators: [ols]\nnormalise: ceiling\n`, join(dir, 'n.yaml'), dir))).jobs;
  const c = await computeJob(job, { store: join(dir, 'store'), backend: 'auto', blasThreads: 1, unitBatch: 4096, runId: 'test' });
  const json = JSON.parse(c.files['score.json']) as ScoreJson;
  assert.ok(json.ceiling, 'score.json has a ceiling block');
  assert.equal(json.ceiling.method, 'split-half');
  const median = (v: number[]) => { const s = [...v].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  for (const s of json.ceiling.subjects) {
    const mine = ref.split_half.subjects.flatMap((x, j) => (x === s.subject ? [ref.split_half.a.ceiling[j], ref.split_half.b.ceiling[j]] : []));
    assert.ok(s.ceiling !== null && Math.abs(s.ceiling - median(mine)) <= 1e-9, `subject ${s.subject}: ${s.ceiling} vs ${median(mine)}`);
  }
  assert.ok(c.files['ceilings.csv']?.startsWith('experiment,') || c.files['ceilings.csv']?.includes('ceiling'), 'ceilings.csv is part of the entry');
});
