/**
 * The across-value curve of a grid (METHODS §5.8, Fig. 2f): per value, the mean over subjects of
 * per-subject unit means, **unclipped** — unlike the dataset score, whose subject means are clipped
 * at 0 (§5.5). The reference is that formula applied by hand to the unit scores of each value
 * fitted on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
import { writeScore } from '../../src/pipeline/results.js';
import { buildReportModel, scanResults } from '../../src/report/index.js';

const backend = getBackend('auto');

/** Mean over subjects of the subject's mean unit value (NaN → 0), no clipping. */
function unclippedMean(subjects: readonly string[], values: ArrayLike<number>): number {
  const per = new Map<string, number[]>();
  subjects.forEach((s, j) => per.set(s, [...(per.get(s) ?? []), Number.isNaN(values[j]) ? 0 : values[j]]));
  const means = [...per.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  return means.reduce((a, b) => a + b, 0) / means.length;
}

/** SEM over subjects (sample SD / √n) of the same unclipped subject means: the report's band. */
function unclippedSem(subjects: readonly string[], values: ArrayLike<number>): number {
  const per = new Map<string, number[]>();
  subjects.forEach((s, j) => per.set(s, [...(per.get(s) ?? []), Number.isNaN(values[j]) ? 0 : values[j]]));
  const means = [...per.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const m = means.reduce((a, b) => a + b, 0) / means.length;
  return Math.sqrt(means.reduce((a, x) => a + (x - m) ** 2, 0) / (means.length - 1) / means.length);
}

test('grid curve: unclipped subject means (§5.8), clipped ones beside them (§5.5); the report says which', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.2 });
  // OASM under contiguous folds predicts nothing: subject means of R² fall just below 0.
  const values = [0.5, 3];
  const grid = await scoreSpec(d, `oasm:sigma=${values.join(',')}`, { split: 'contiguous', backend });
  for (const [i, v] of values.entries()) {
    const alone = await scoreSpec(d, `oasm:sigma=${v}`, { split: 'contiguous', backend });
    const e = alone.result.experiments[0];
    const point = grid.grid!.curve[i];
    assert.equal(point.value, v);
    assert.ok(Math.abs(point.r2 - unclippedMean(e.subjects, e.r2)) < 1e-12, `σ ${v}: R² ${point.r2}`);
    assert.ok(Math.abs(point.r - unclippedMean(e.subjects, e.r)) < 1e-12, `σ ${v}: r ${point.r}`);
    assert.equal(point.r2_clipped, alone.result.r2.mean);
    assert.ok(Math.abs(point.r2_sem - unclippedSem(e.subjects, e.r2)) < 1e-12, `σ ${v}: R² SEM ${point.r2_sem}`);
    assert.ok(Math.abs(point.r_sem - unclippedSem(e.subjects, e.r)) < 1e-12, `σ ${v}: r SEM ${point.r_sem}`);
    assert.ok(point.r2_sem > 0);
  }
  assert.ok(grid.grid!.curve.some((c) => c.r2 < 0), `a negative (unclipped) point: ${grid.grid!.curve.map((c) => c.r2).join(', ')}`);

  const dir = mkdtempSync(join(tmpdir(), 'brainmap-curve-'));
  try {
    writeScore(join(dir, 'new'), grid);
    const old = JSON.parse(readFileSync(join(dir, 'new', 'score.json'), 'utf8')) as { grid: Record<string, unknown> };
    delete old.grid.curve_clipped; // a file written before the curve followed §5.8
    writeScore(join(dir, 'old'), grid);
    writeFileSync(join(dir, 'old', 'score.json'), JSON.stringify({ ...old, features: 'oasm:sigma=0.5,3 (old)' }));
    const model = buildReportModel(scanResults(dir));
    const captions = model.figures.filter((f) => f.type === 'grid-curve').map((f) => f.caption);
    assert.equal(captions.length, 2);
    assert.ok(captions.some((c) => c.includes('unclipped — docs/method.md §5.8')), captions.join('\n'));
    assert.ok(captions.some((c) => c.includes('clipped at 0') && !c.includes('unclipped')), captions.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
