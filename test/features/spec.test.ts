import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { expandGrid } from '../../src/features/grid.js';
import { buildFeatureSpec } from '../../src/features/registry.js';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { writeNpy } from '../../src/io/npy.js';
import { simulateDataset } from '../../src/data/simulate.js';

registerBuiltinFeatures();

test('specs: "+" stacks terms, "|" separates bands, key=value and positional arguments', () => {
  const s = parseFeatureSpec('sp:sigma=3.4+sl | file:a/b.npy');
  assert.equal(s.bands.length, 2);
  assert.deepEqual(s.bands[0].terms.map((t) => [t.name, t.params]), [['sp', { sigma: '3.4' }], ['sl', {}]]);
  assert.deepEqual(s.bands[1].terms[0].params, { path: 'a/b.npy' });
  assert.deepEqual(parseFeatureSpec('lm:gpt2:layer=3').bands[0].terms[0].positional, ['gpt2']);
});

test('spec errors name the term and what was expected', () => {
  assert.throws(() => parseFeatureSpec(''), { message: '--features: empty; expected a feature spec such as oasm:sigma=1.8 or file:X.npy' });
  assert.throws(() => parseFeatureSpec('oasm:sigma=1+'), { message: '--features: empty feature term in ""; expected e.g. oasm:sigma=1.8' });
  assert.throws(() => parseFeatureSpec('oasm:sigma=1:sigma=2'), { message: '--features: "oasm:sigma=1:sigma=2": argument "sigma" given twice' });
});

test('grids expand to one spec per value: OASM σ 0.1…4.8 (48), SP σ 0…4.7, ramps 3…50, explicit lists', () => {
  const oasm = expandGrid(parseFeatureSpec('oasm:sigma=grid'));
  assert.equal(oasm.axis?.values.length, 48);
  assert.equal(oasm.axis?.values[0], 0.1);
  assert.equal(oasm.axis?.values[2], 0.3);
  assert.equal(oasm.axis?.values[47], 4.8);
  assert.equal(oasm.specs[17].text, 'oasm:sigma=1.8');
  const sp = expandGrid(parseFeatureSpec('sp:sigma=grid+sl'));
  assert.deepEqual([sp.axis?.values[0], sp.axis?.values[29], sp.axis?.values[47]], [0, 2.9, 4.7]);
  assert.equal(sp.specs[34].text, 'sp:sigma=3.4+sl');
  assert.deepEqual(expandGrid(parseFeatureSpec('ramps:len=grid')).axis?.values.slice(0, 3), [3, 4, 5]);
  assert.deepEqual(expandGrid(parseFeatureSpec('oasm:sigma=0.2,1.8')).specs.map((s) => s.text), ['oasm:sigma=0.2', 'oasm:sigma=1.8']);
  assert.equal(expandGrid(parseFeatureSpec('oasm:sigma=1')).axis, null);
  assert.throws(() => expandGrid(parseFeatureSpec('sl:n=grid')), /sl has no built-in grid for n/);
  assert.throws(() => expandGrid(parseFeatureSpec('oasm:sigma=grid+sp:sigma=grid')), /only one grid per spec/);
});

test('building features: unknown names and arguments, and a feature file with the wrong row count, fail with exact messages', async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  await assert.rejects(buildFeatureSpec(parseFeatureSpec('oasm:sigam=2'), { dataset: d }), { message: '--features: "oasm:sigam=2": unknown argument "sigam"; oasm takes sigma' });
  await assert.rejects(buildFeatureSpec(parseFeatureSpec('nope'), { dataset: d }), /--features: unknown feature "nope"; known features: bow, file, glove, lm, oasm, pereira-glove, pwr, ramps, sense, sl, sp, synt, wn, word, wp/);
  await assert.rejects(buildFeatureSpec(parseFeatureSpec('oasm:sigma=-1'), { dataset: d }), { message: '--features: "oasm:sigma=-1": sigma=-1 is not a number in 0…1000' });
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-spec-'));
  const path = join(dir, 'X.npy');
  writeNpy(path, new Float64Array(400 * 3), [400, 3]);
  await assert.rejects(buildFeatureSpec(parseFeatureSpec(`file:${path}`), { dataset: d }), { message: `${path}: rows: has 400 rows; expected 416 (one per sample of sim:fedorenko)` });
  const ok = join(dir, 'ok.npy');
  writeNpy(ok, Float64Array.from({ length: 416 * 2 }, (_, i) => i), [416, 2]);
  const [x] = await buildFeatureSpec(parseFeatureSpec(`file:${ok}+sl`), { dataset: d });
  assert.deepEqual([x.rows, x.cols], [416, 3]);
  assert.deepEqual(Array.from(x.data.subarray(3, 6)), [2, 3, 1]);
});
