/**
 * `lm:<untrained>:layer=all:seeds=a-b` (issue 14.5): each seed scored with its own best layer, the
 * reported score the mean over seeds. Reference: the same spec scored seed by seed (`seed=N`), and
 * the means over those runs written out here (dataset score, per-subject scores, unit R² and r,
 * squared errors, the layer curve), plus each seed's own layer choices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateDataset } from '../../src/data/simulate.js';
import { InputError } from '../../src/data/errors.js';
import { clearLmMemo } from '../../src/features/lm/cache.js';
import { getBackend } from '../../src/linalg/index.js';
import { scoreSpec, type SpecScore } from '../../src/pipeline/score-spec.js';
import { parseSeedRange, seedsOfSpec } from '../../src/pipeline/seeds.js';
import { FIXTURE, tempDir } from '../lm/helpers.js';

const backend = getBackend('auto');
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)) || (Number.isNaN(a) && Number.isNaN(b)), `${what}: ${a} vs ${b}`);

test('seeds=a-b: parsing, and the spec of one seed', () => {
  assert.deepEqual(parseSeedRange('0-4', 't'), [0, 1, 2, 3, 4]);
  assert.deepEqual(parseSeedRange('7', 't'), [7]);
  assert.throws(() => parseSeedRange('4-0', 't'), /seeds=4-0; expected a range/);
  assert.throws(() => parseSeedRange('0-5000', 't'), /5001 seeds; expected at most 1000/);
  const s = seedsOfSpec('lm:gpt2-untrained:layer=all:pool=last:seeds=2-3 + sl')!;
  assert.deepEqual(s.values, [2, 3]);
  assert.equal(s.specFor(3), 'lm:gpt2-untrained:layer=all:pool=last:seed=3 + sl');
  assert.equal(seedsOfSpec('lm:gpt2-untrained:layer=1'), null);
  assert.throws(() => seedsOfSpec('lm:gpt2-untrained:layer=1:seed=1:seeds=0-4'), (e: unknown) => e instanceof InputError && /not both/.test(e.message));
  assert.throws(() => seedsOfSpec('oasm:sigma=1:seeds=0-4'), /seeds= applies to lm terms/);
});

test('lm:<folder>:untrained:layer=1,3:seeds=0-2 is the mean over seeds of each seed\'s best-layer score', { timeout: 600_000 }, async () => {
  process.env.BRAINMAP_CACHE = tempDir();
  clearLmMemo();
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const opts = { split: 'shuffled' as const, seed: 42, backend, keepErrors: true };
  const spec = `lm:${FIXTURE}:untrained:layer=1,3:pool=last:seeds=0-2`;
  const avg = await scoreSpec(d, spec, opts);
  const per: SpecScore[] = [];
  for (const seed of [0, 1, 2]) per.push(await scoreSpec(d, `lm:${FIXTURE}:untrained:layer=1,3:pool=last:seed=${seed}`, opts));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.equal(avg.spec, spec);
  assert.deepEqual(avg.seeds?.values, [0, 1, 2]);
  // The seeds really differ.
  assert.notEqual(per[0].result.r2.mean, per[1].result.r2.mean);
  close(avg.result.r2.mean, mean(per.map((p) => p.result.r2.mean)), 'dataset R²');
  close(avg.result.r.mean, mean(per.map((p) => p.result.r.mean)), 'dataset r');
  avg.result.r2.subjects.forEach((s, i) => close(s.value, mean(per.map((p) => p.result.r2.subjects[i].value)), `subject ${s.subject} R²`));
  avg.seeds!.perSeed.forEach((p, i) => {
    assert.equal(p.r2, per[i].result.r2.mean);
    assert.deepEqual(p.chosen, per[i].grid!.chosen);
  });
  // Each seed's choices are listed under its seed.
  assert.deepEqual(avg.grid!.chosen.map((c) => c.experiment), ['seed=0', 'seed=1', 'seed=2']);
  assert.deepEqual(avg.grid!.chosen[1].values, per[1].grid!.chosen[0].values);
  const e = avg.result.experiments[0];
  for (let j = 0; j < e.unitIds.length; j++) {
    close(e.r2[j], mean(per.map((p) => p.result.experiments[0].r2[j])), `unit ${j} R²`);
    close(e.r[j], mean(per.map((p) => p.result.experiments[0].r[j])), `unit ${j} r`);
  }
  for (let i = 0; i < e.errors!.se.length; i += 97) {
    const want = mean(per.map((p) => p.result.experiments[0].errors!.se[i]));
    assert.ok(Math.abs(e.errors!.se[i] - want) <= 1e-6 * Math.max(1e-3, want), `squared error ${i}: ${e.errors!.se[i]} vs ${want}`);
  }
  avg.grid!.curve.forEach((c, k) => close(c.r2, mean(per.map((p) => p.grid!.curve[k].r2)), `curve layer ${c.value}`));
  clearLmMemo();
  delete process.env.BRAINMAP_CACHE;
});

test('seeds= cannot be built as one feature (sweeps, features lm): one line saying where it works', async () => {
  const { registerBuiltinFeatures } = await import('../../src/features/builtin.js');
  const { buildTerm } = await import('../../src/features/registry.js');
  const { parseFeatureSpec } = await import('../../src/features/spec.js');
  registerBuiltinFeatures();
  const d = simulateDataset('fedorenko', { units: 0.1 });
  await assert.rejects(buildTerm(parseFeatureSpec('lm:gpt2-untrained:layer=1:seeds=0-4').bands[0].terms[0], { dataset: d }),
    (e: unknown) => e instanceof InputError && /seeds=0-4 \(the mean over seeds of each seed's score\) is computed by score, partition and audit; here give one seed=N/.test(e.message));
});
