/**
 * The model-zoo report blocks (src/report/zoo.ts) and Welch's t-test (src/scoring/stats.ts):
 * Welch's t, df and p equal scipy.stats.ttest_ind(a, b, equal_var=False) (values below computed
 * with scipy 1.x in the project's .venv); best layer per model × pooling × split; models
 * classified uni-/bidirectional by their folder's config.json; the ranking figure with OASM and
 * simple-feature reference bars; lm:./folder paths of experiment files resolved against the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { welchTTest } from '../../src/scoring/stats.js';
import { directionComparison, lmTermOf, modelDirection, zooBest, zooBlocks } from '../../src/report/zoo.js';
import { resolveFeatureSpec } from '../../src/pipeline/sweep/experiment.js';
import type { ScoreAnalysis } from '../../src/report/types.js';

const close = (a: number, b: number, tol = 1e-10) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('welchTTest equals scipy.stats.ttest_ind(equal_var=False)', () => {
  const a = [0.061, 0.072, 0.055, 0.080, 0.049, 0.066];
  const b = [0.031, 0.044, 0.027, 0.052];
  // scipy: statistic, pvalue, df
  const ref = { 'two-sided': 0.01250701954372253, less: 0.9937464902281388, greater: 0.006253509771861265 } as const;
  for (const alt of ['two-sided', 'less', 'greater'] as const) {
    const r = welchTTest(a, b, alt);
    close(r.t, 3.4249526374306822);
    close(r.df, 6.466207234388869);
    close(r.p, ref[alt], 1e-8);
  }
  const r2 = welchTTest([1.5, 2.25, 0.75], [3.0, 2.0, 4.5, 3.5, 2.5, 6.0, 4.0]);
  close(r2.t, -3.2086632017744328);
  close(r2.df, 6.927245314534464);
  close(r2.p, 0.015098372028489007, 1e-8);
  assert.ok(Number.isNaN(welchTTest([1], [2, 3]).p));
  // NaNs are dropped (nan_policy='omit').
  close(welchTTest([...a, NaN], b).t, 3.4249526374306822);
});

function folderOf(modelType: string): string {
  const dir = mkdtempSync(join(tmpdir(), `brainmap-zoo-report-${modelType}-`));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: modelType }));
  return dir;
}

let id = 0;
function score(features: string, split: string, r2: number, grid: ScoreAnalysis['grid'] = null): ScoreAnalysis {
  id++;
  return {
    kind: 'score', id: `s${id}`, file: `s${id}/score.json`, dataset: { name: 'ds', source: 'sim:ds', hash: 'h' }, features, split,
    settings: { split }, mean: { r2, r: Math.sqrt(Math.max(0, r2)), r2Sem: 0.001, rSem: 0.01 },
    subjects: [{ subject: '1', r2, r: 0.1, nUnits: 3 }, { subject: '2', r2: r2 + 0.001, r: 0.1, nUnits: 3 }],
    grid, units: null, unitsFile: null, meaning: null,
  } as ScoreAnalysis;
}

test('zoo: best layer per model × pooling × split, direction from config.json, Welch comparison, ranking figure with references', () => {
  const llama = folderOf('llama');
  const rwkv = folderOf('rwkv');
  const bert = folderOf('bert');
  const roberta = folderOf('roberta');
  assert.equal(modelDirection(llama), 'unidirectional');
  assert.equal(modelDirection(`${bert}:untrained`), 'bidirectional');
  assert.equal(modelDirection('gpt2-xl-untrained'), 'unidirectional');
  assert.equal(modelDirection(join(tmpdir(), 'no-such-model-folder')), null);
  assert.deepEqual(lmTermOf(`lm:${llama}:layer=2:pool=mean`), { model: llama, label: llama.split('/').pop(), pool: 'mean', layer: 2 });
  assert.equal(lmTermOf(`lm:${llama}:layer=2 + oasm:sigma=1`), null);
  const grid = (chosen: number[]): ScoreAnalysis['grid'] => ({ term: 'lm', param: 'layer', select: 'test', curve: [], clipped: false, chosen: [{ experiment: '', values: chosen, valuesR: chosen }] });
  const scores = [
    score(`lm:${llama}:layer=1:pool=last`, 'contiguous', 0.020),
    score(`lm:${llama}:layer=2:pool=last`, 'contiguous', 0.030), // best fixed layer
    score(`lm:${rwkv}:layer=all:pool=last`, 'contiguous', 0.025, grid([3, 3, 1])),
    score(`lm:${bert}:layer=all:pool=last`, 'contiguous', 0.010, grid([2, 2])),
    score(`lm:${roberta}:layer=1:pool=last`, 'contiguous', 0.012),
    score('oasm:sigma=grid', 'contiguous', 0.05, { term: 'oasm', param: 'sigma', select: 'test', curve: [], clipped: false, chosen: [] }),
    score('sp+sl', 'contiguous', 0.004),
  ];
  const best = zooBest(scores);
  assert.equal(best.length, 4);
  const b = (m: string) => best.find((e) => e.model === m)!;
  assert.equal(b(llama).layer, 2);
  assert.equal(b(llama).r2, 0.030);
  assert.equal(b(rwkv).layer, 3);
  const cmp = directionComparison(best);
  assert.equal(cmp.length, 1);
  assert.deepEqual(cmp[0].uni, [0.030, 0.025]);
  assert.deepEqual(cmp[0].bi, [0.010, 0.012]);
  const w = welchTTest([0.030, 0.025], [0.010, 0.012]);
  assert.equal(cmp[0].t, w.t);
  assert.equal(cmp[0].p, w.p);
  const blocks = zooBlocks(scores, 'ds', (s) => s);
  assert.equal(blocks.length, 3);
  assert.equal(blocks[0].kind, 'figure');
  if (blocks[0].kind !== 'figure') return;
  const cats = blocks[0].figure.rows.filter((r) => r.kind === 'mean').map((r) => r.features);
  // Ranked by best score, then the references.
  assert.deepEqual(cats, [llama, rwkv, roberta, bert].map((d) => d.split('/').pop()).concat(['OASM: oasm:sigma=grid', 'simple: sp+sl']));
  assert.match(blocks[0].figure.title, /^Model zoo \(LT: pool=last\)/);
  assert.equal(blocks[2].kind, 'table');
  // One model alone: no zoo blocks.
  assert.deepEqual(zooBlocks(scores.slice(0, 2), 'ds', (s) => s), []);
});

test('experiment files: lm:./folder and lm:../folder are relative to the file; model names and absolute folders unchanged', () => {
  const base = mkdtempSync(join(tmpdir(), 'brainmap-zoo-exp-'));
  mkdirSync(join(base, 'zoo'));
  assert.equal(resolveFeatureSpec('lm:./zoo/llama:layer=all:pool=mean', base), `lm:${join(base, 'zoo/llama')}:layer=all:pool=mean`);
  assert.equal(resolveFeatureSpec('lm:../m:untrained:layer=1', join(base, 'zoo')), `lm:${join(base, 'm')}:untrained:layer=1`);
  assert.equal(resolveFeatureSpec('lm:gpt2-untrained:layer=1', base), 'lm:gpt2-untrained:layer=1');
  assert.equal(resolveFeatureSpec('lm:/abs/m:layer=1', base), 'lm:/abs/m:layer=1');
});
