/**
 * Saying when something is off (issue 11 point 11): constant feature columns, penalties at the edge
 * of the α grid, a grid choice far below the grid's best, on the terminal, in JSON and in the report.
 * Expected values are worked out by hand (a one-word sample has length 1; fractions of planted α).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { fromRows } from '../../src/linalg/matrix.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
import { summarise, type ExperimentScores, type ScoreResult } from '../../src/pipeline/score.js';
import { specScoreToJson, writeScore } from '../../src/pipeline/results.js';
import { alphaEdgeWarnings, columnConstancy, gridSelectionWarnings } from '../../src/pipeline/warnings.js';
import { buildReportModel, scanResults } from '../../src/report/index.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const backend = getBackend('auto');
const ALPHAS = Array.from({ length: 25 }, (_, k) => 2 ** (k - 5));

function result(alpha: number[], r2: number, r: number): ScoreResult {
  const nU = 4;
  const e: ExperimentScores = {
    experiment: '', nSamples: 20, nFeatures: 3, unitIndex: Int32Array.from([0, 1, 2, 3]), unitIds: ['a', 'b', 'c', 'd'], subjects: ['1', '1', '2', '2'],
    unitCoords: null, r2: new Float64Array(nU).fill(r2), r: new Float64Array(nU).fill(r), alpha: Float64Array.from(alpha), valScore: new Float64Array(alpha.length),
    foldSse: new Float64Array(alpha.length), foldSse0: new Float64Array(alpha.length), foldR: new Float64Array(alpha.length),
    foldSizes: [10, 10], innerFolds: [1, 1], bandSizes: [3], gamma: null, errors: null,
  };
  return summarise({ name: 'toy', source: 'toy' }, { split: 'shuffled', seed: 42, estimator: 'ridge', alphas: ALPHAS, backend: 'test', bands: 1, bandedIter: null, bandedSeed: null, innerStandardize: false }, [e]);
}

test('constant columns: sklearn\'s rule on the experiment\'s rows; zero columns told apart', () => {
  const x = fromRows([[1, 0, 3, 2], [1, 0, 4, 2], [1, 0, 5, 2]]);
  assert.deepEqual(columnConstancy(x, [0, 1, 2]), ['constant', 'zero', null, 'constant']);
  assert.deepEqual(columnConstancy(x, [0]), ['constant', 'zero', 'constant', 'constant']);
});

test('α at the edge of the grid: most unit × fold choices at the largest (or smallest) penalty', () => {
  const hi = 2 ** 19;
  // 6 of 8 choices (75 %) at the largest α: warned; 4 of 8 (50 %) is not "most".
  const w = alphaEdgeWarnings(result([hi, hi, hi, 1, hi, hi, hi, 2], 0, 0));
  assert.equal(w.length, 1);
  assert.match(w[0], /^75 % of the units' penalty choices are the largest α in the grid \(524288\)/);
  assert.deepEqual(alphaEdgeWarnings(result([hi, hi, 1, 1, hi, hi, 2, 2], 0, 0)), []);
  assert.match(alphaEdgeWarnings(result(new Array(8).fill(2 ** -5), 0, 0))[0], /^100 % .* smallest α in the grid \(0\.03125\)/);
  assert.deepEqual(alphaEdgeWarnings(result(new Array(8).fill(NaN), 0, 0)), [], 'OLS chooses no α');
});

test('a grid choice far below the grid\'s best test score is flagged (validation selection only)', () => {
  const curve = [{ value: 0.1, r2_clipped: 0, r_clipped: 0 }, { value: 1.8, r2_clipped: 0.0795, r_clipped: 0.259 }];
  // The case: the chosen σ reaches R² 0.0000 while σ = 1.8 alone reaches 0.0795.
  const w = gridSelectionWarnings('sigma', curve, result(new Array(8).fill(1), 0, 0), 'validation');
  assert.equal(w.length, 2);
  assert.match(w[0], /sigma values chosen on inner-CV scores reach R² 0\.0000 on the test folds, while sigma = 1\.8 alone reaches 0\.0795/);
  assert.match(w[1], /reach r 0\.0000 .* sigma = 1\.8 alone reaches 0\.2590/);
  assert.deepEqual(gridSelectionWarnings('sigma', curve, result(new Array(8).fill(1), 0.07, 0.25), 'validation'), [], 'close to the best: fine');
  assert.deepEqual(gridSelectionWarnings('sigma', curve, result(new Array(8).fill(1), 0, 0), 'test'), []);
});

test('sl on single-word samples: warned as constant (value 1, every sample one word) — in the JSON, on the terminal and in the report', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const s = await scoreSpec(d, 'sl+wp:sigma=4.7', { split: 'contiguous', backend });
  const json = specScoreToJson(s);
  assert.ok(json.warnings.some((w) => /^feature sl is constant on the training rows: every sample has the same value \(1\), so it carries no information/.test(w)), json.warnings.join('\n'));
  assert.ok(!json.warnings.some((w) => w.includes('wp:sigma=4.7')), 'wp varies');
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-warn-'));
  try {
    writeScore(join(dir, 'sl'), s);
    const model = buildReportModel(scanResults(dir));
    const section = model.sections.find((x) => x.id === 'warnings');
    assert.ok(section, 'the report has a Warnings section');
    assert.ok(JSON.stringify(section.blocks).includes('feature sl is constant'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = spawnSync(process.execPath, [...cliEntry(), 'score', '--dataset', 'sim:fedorenko:units=0.1', '--features', 'sl'], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nwarning: feature sl is constant on the training rows: every sample has the same value \(1\)/);
  // A constant feature leaves the intercept: every α scores the same and the largest wins the tie.
  assert.match(r.stdout, /\nwarning: 100 % of the units' penalty choices are the largest α in the grid/);
});
