/**
 * Honest nested CV by default (issue 11, point 10): features are z-scored within every inner fold
 * as well as per outer fold, for single and banded fits; `compat: 'paper'` (`--compat paper`)
 * restores the paper's single outer z-scoring. The settings in score.json say which was run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { simulateDataset } from '../../src/data/simulate.js';
import { loadDataset } from '../../src/io/dataset.js';
import { getBackend } from '../../src/linalg/index.js';
import { specScoreToJson } from '../../src/pipeline/results.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ncPath = `${root}../shared/data/fedorenko2016/fedorenko2016.nc`;
const backend = getBackend('auto');

// A grid with the σ the paper's single outer z-scoring gets wrong: its inner CV (reusing the outer
// scaling) prefers σ = 1 in every outer fold, whose held-out rows explode (shuffled R² 0.0043 under
// compat: 'paper' on this grid; 0.0000 on the full 48-value oasm:sigma=grid, issue 11.10), beside
// the reference's σ = 1.8 and a smaller and a larger σ. Four values cost a twelfth of the full grid.
const SIGMAS = 'oasm:sigma=0.5,1,1.8,4.2';

test('Fedorenko2016, an OASM σ grid with small σ, default settings (what `brainmap score` runs): shuffled folds R² > 0.05, contiguous < 0.005', { timeout: 1_800_000 }, async () => {
  // With the paper's single outer z-scoring, small σ explodes on held-out rows, inner CV cannot see
  // it and the shuffled score was 0.0000 while the curve peaks near 0.08 (the independent
  // reference gives 0.0795 at σ = 1.8, test/fixtures/reference).
  const dataset = await loadDataset(ncPath);
  const shuffled = await scoreSpec(dataset, SIGMAS, { split: 'shuffled', backend });
  assert.ok(shuffled.result.r2.mean > 0.05, `shuffled: dataset R² ${shuffled.result.r2.mean}`);
  assert.equal(shuffled.result.settings.innerStandardize, true);
  assert.equal(shuffled.result.settings.compat, null);
  const contiguous = await scoreSpec(dataset, SIGMAS, { split: 'contiguous', backend });
  assert.ok(contiguous.result.r2.mean < 0.005, `contiguous: dataset R² ${contiguous.result.r2.mean}`);
});

test('settings record the z-scoring that ran: inner folds by default (single and banded), once per outer fold under compat paper', async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const cases = [
    ['wp:sigma=4.7', {}, true],
    ['wp:sigma=4.7 | sp:sigma=1', {}, true],
    ['wp:sigma=4.7', { compat: 'paper' }, false],
    ['wp:sigma=4.7 | sp:sigma=1', { compat: 'paper' }, false],
    ['wp:sigma=4.7', { compat: 'paper', innerStandardize: true }, true],
    ['wp:sigma=4.7', { estimator: 'ols' }, false], // no inner folds
  ] as const;
  for (const [spec, extra, want] of cases) {
    const s = await scoreSpec(d, spec, { split: 'contiguous', backend, bandedIter: 3, ...extra });
    assert.equal(specScoreToJson(s).settings.inner_standardize, want, `${spec} ${JSON.stringify(extra)}`);
  }
});
