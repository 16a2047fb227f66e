import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { assertNoStack, brainmap, tmp, writeExperiment } from './helpers.js';

function experimentText(name: string, feature: string, extra = ''): string {
  return `name: ${name}\ndatasets: [sim:fedorenko:units=0.2]\nfeatures:\n  - ${feature}\n${extra}`;
}

/** The planning error of an experiment with one feature entry ('' when it plans). */
async function planError(dir: string, name: string, feature: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  try {
    await planExperiment(parseExperiment(experimentText(name, feature), file, dir));
  } catch (err) {
    assert.equal((err as Error).name, 'InputError', `${name}: ${(err as Error).stack}`);
    return (err as Error).message;
  }
  return '';
}

test('plan-time validation: run --dry-run (and run) reject a spec that can only fail, with one error line and exit 2', { timeout: 300_000 }, async () => {
  const dir = tmp('validate');
  // sim:fedorenko has 416 samples.
  writeNpy(join(dir, 'short.npy'), new Float64Array(10 * 3), [10, 3]);
  writeNpy(join(dir, 'good.npy'), new Float64Array(416 * 3).map((_, i) => Math.sin(i)), [416, 3]);
  writeFileSync(join(dir, 'words.txt'), 'not a vector file\n');

  const cases: [string, string, RegExp][] = [
    ['unknown', 'foo', /features\[0\]: unknown feature "foo"; known features: .*oasm/],
    ['negative-sigma', 'oasm:sigma=-1', /features\[0\]: "oasm:sigma=-1": sigma=-1 is not a number in 0…1000$/],
    ['grid-value', 'oasm:sigma=1,-2', /features\[0\]: "oasm:sigma=-2": sigma=-2 is not a number in 0…1000$/],
    ['expanded-grid', '{spec: "wp:sigma=0.5,2000", expand: true}', /features\[0\]: "wp:sigma=2000": sigma=2000 is not a number in 0…1000$/],
    ['rows', 'file:short.npy', /features\[0\]: \S+short\.npy: rows: has 10 rows; expected 416 \(one per sample of sim:fedorenko\)$/],
    ['banded-rows', 'sl | file:short.npy', /features\[0\]: \S+short\.npy: rows: has 10 rows; expected 416/],
    ['missing-file', 'file:nope.npy', /features\[0\]: \S+nope\.npy: features: no such file or directory$/],
    ['unknown-arg', 'wp:sigam=1', /features\[0\]: "wp:sigam=1": unknown argument "sigam"; wp takes sigma$/],
    ['glove-missing', 'glove:path=missing.txt', /features\[0\]: \S+missing\.txt: word vectors: no such file or directory$/],
    ['glove-format', 'glove:path=words.txt', /features\[0\]: \S+words\.txt: line 1: expected "<word> <v1> … <vd>"/],
    ['lm-layer', 'lm:gpt2-untrained:layer=99:pool=last', /features\[0\]: "lm:gpt2-untrained:layer=99:pool=last": layer=99 is not an integer in 0…12$/],
  ];
  for (const [name, feature, expected] of cases) {
    const msg = await planError(dir, name, feature);
    assert.ok(msg.startsWith(`${join(dir, `${name}.yaml`)}: features[0]: `), `${name}: ${msg}`);
    assert.match(msg, expected, name);
  }
  assert.equal(await planError(dir, 'good', 'file:good.npy'), '', 'a good spec plans');

  // The CLI: the dry run shows no plan but one error line (exit 2); a real run stops before the
  // store is touched.
  const unknown = writeExperiment(dir, 'unknown.yaml', experimentText('unknown', 'foo'));
  const dry = brainmap(['run', unknown, '--dry-run', '--store', join(dir, 'store')]);
  assertNoStack(dry.stderr);
  assert.equal(dry.status, 2, dry.stdout);
  assert.equal(dry.stdout, '');
  assert.match(dry.stderr, new RegExp(`^error: ${unknown}: features\\[0\\]: unknown feature "foo"; known features: [a-z, -]+\n$`));
  const rows = writeExperiment(dir, 'rows.yaml', experimentText('rows', 'file:short.npy'));
  const real = brainmap(['run', rows, '--store', join(dir, 'store2')]);
  assertNoStack(real.stderr);
  assert.equal(real.status, 2);
  assert.equal(real.stderr, `error: ${rows}: features[0]: ${join(dir, 'short.npy')}: rows: has 10 rows; expected 416 (one per sample of sim:fedorenko)\n`);
  assert.deepEqual(readdirSync(join(dir, 'store2', 'experiments')), [], 'no manifest: nothing was planned into the store');
  assert.deepEqual(readdirSync(join(dir, 'store2', 'jobs')), []);
});
