import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { parseError } from './helpers.js';

test('experiment files: gap: N (samples) is read, checked, and reaches the jobs and their keys; delays= come with the feature spec', { timeout: 60_000 }, async () => {
  const base = 'datasets: sim:fedorenko:units=0.2\nfeatures: [wp:sigma=1]\n';
  assert.equal(parseExperiment(`${base}gap: 3\n`, 'e.yaml', '/base').gap, 3);
  assert.equal(parseExperiment(base, 'e.yaml', '/base').gap, undefined);
  for (const [bad, got] of [['-1', 'the number -1'], ['1.5', 'the number 1.5'], ['"2"', 'the string "2"'], ['[1, 2]', 'a list']]) {
    assert.equal(parseError(`${base}gap: ${bad}\n`), `exp.yaml: gap: expected a non-negative integer (samples), got ${got}`);
  }
  const [withGap] = (await planExperiment(parseExperiment(`${base}gap: 3\n`, 'e.yaml', '/base'))).jobs;
  const [noGap] = (await planExperiment(parseExperiment(base, 'e.yaml', '/base'))).jobs;
  const [zeroGap] = (await planExperiment(parseExperiment(`${base}gap: 0\n`, 'e.yaml', '/base'))).jobs;
  assert.equal(withGap.gap, 3);
  assert.equal(noGap.gap, undefined);
  assert.notEqual(withGap.key, noGap.key);
  assert.equal(zeroGap.key, noGap.key, 'gap: 0 is the default and keeps the key');
  const delayed = parseExperiment('datasets: sim:fedorenko:units=0.2\nfeatures:\n  - wp:sigma=1:delays=1,2\n', 'e.yaml', '/base');
  assert.equal(delayed.features[0].spec, 'wp:sigma=1:delays=1,2');
  assert.match(parseError('datasets: sim:fedorenko\nfeatures: ["wp:sigma=1:delays=1,1"]\n'), /^exp\.yaml: features\[0\]: .*delay 1 is listed twice$/);
});
