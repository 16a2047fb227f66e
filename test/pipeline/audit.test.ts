/**
 * brainmap audit on simulated data with known components attributes the planted effects:
 *  - features that carry only position information (sp, a re-coding of what wp already holds)
 *    are explained by the simple features: Ω near 100 % (we require ≥ 80 %), and they add
 *    significant variance in almost no units;
 *  - features whose signal the baselines lack (content: bag-of-words means, with a strong planted
 *    content effect and no length information) are not: Ω near 0 % (we require ≤ 25 %).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditFeatures, defaultSimpleFeatures } from '../../src/pipeline/audit.js';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';

const backend = getBackend('auto');
const fast = { backend, oasm: 'oasm:sigma=1.8', bandedIter: 30, brainscore: false } as const;

test('default simple features follow the design', () => {
  assert.equal(defaultSimpleFeatures(simulateDataset('fedorenko', { units: 0.1 })), 'wp:sigma=4.7');
  assert.equal(defaultSimpleFeatures(simulateDataset('blank', { units: 1 })), 'ramps:len=11+wn');
  assert.equal(defaultSimpleFeatures(simulateDataset('pereira', { units: 1 })), 'sp+sl');
});

test('audit: position-only features are explained by the simple features (Ω ≥ 80 %)', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.2 });
  const a = await auditFeatures(d, 'sp:sigma=1', fast);
  const simple = a.partitions.find((p) => p.id === 'simple')!;
  assert.ok(simple.omega_mean >= 80, `Ω ${simple.omega_mean}`);
  assert.ok(simple.percent_significant <= 20, `${simple.percent_significant} % significant`);
  assert.equal(a.leak.flagged, false);
  assert.equal(a.rows.length, 7);
  assert.ok(a.rows.find((r) => r.id === 'oasm-shuffled')!.r2 > a.rows.find((r) => r.id === 'oasm-contiguous')!.r2 + 0.03);
  assert.ok(a.verdicts.some((v) => v.line === 'Simple features' && v.verdict.includes('already explain')));
});

test('audit: content features the baselines lack are not explained by them (Ω ≤ 25 %)', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.2, content: 1.5 });
  const a = await auditFeatures(d, 'bow:pool=mean', fast);
  const simple = a.partitions.find((p) => p.id === 'simple')!;
  assert.ok(simple.omega_mean <= 25, `Ω ${simple.omega_mean}`);
  assert.ok(simple.percent_significant >= 50, `${simple.percent_significant} % significant`);
});
