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
  // Three band-weight samples: bag of words and OASM are both wide, so OASM | features runs the full
  // kernel path once per sample (at 10 samples that fit was 60 % of this test); Ω stays near 10 %.
  const a = await auditFeatures(d, 'bow:pool=mean', { ...fast, bandedIter: 3 });
  const simple = a.partitions.find((p) => p.id === 'simple')!;
  assert.ok(simple.omega_mean <= 25, `Ω ${simple.omega_mean}`);
  assert.ok(simple.percent_significant >= 50, `${simple.percent_significant} % significant`);
});

test('audit: features that explain nothing are called that (not "explained 100 %"), with their warning; a skipped old way is said', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  // Sentence length on single-word samples: 1 everywhere, a constant column.
  const a = await auditFeatures(d, 'sl', { ...fast, bandedIter: 5 });
  const simple = a.partitions.find((p) => p.id === 'simple')!;
  // An intercept-only fit: R² 0 up to rounding in every subject, so Ω is 100 % by convention.
  assert.ok(simple.subjects.every((s) => Math.abs(s.r2_b) < 1e-12), simple.subjects.map((s) => s.r2_b).join(', '));
  assert.equal(simple.omega_mean, 100);
  const v = a.verdicts.find((x) => x.line === 'Simple features')!.verdict;
  assert.match(v, /^the features explain nothing here \(R² 0\.000 under contiguous folds\), so there is nothing for the simple features \(wp:sigma=4\.7\) to explain/);
  assert.doesNotMatch(v, /already explain/);
  assert.match(a.rows.find((r) => r.id === 'simple+features-contiguous')!.verdict, /the features explain nothing here/);
  // The constant column is said on its lines, in the warnings and among the verdicts.
  const row = a.rows.find((r) => r.id === 'features-contiguous')!;
  assert.match(row.verdict, /^about zero with honest folds — but see the (2 )?warnings? on this line$/);
  assert.ok(row.warnings.some((w) => w.startsWith('feature sl is constant on the training rows')));
  assert.ok(a.warnings.some((w) => w.startsWith('features, contiguous folds: feature sl is constant')));
  assert.ok(a.verdicts.some((x) => x.line === 'Warning' && x.verdict.includes('feature sl is constant')));
  assert.deepEqual(a.verdicts.find((x) => x.line === 'Old way'), { line: 'Old way', verdict: 'not run (--no-brainscore)' });
});
