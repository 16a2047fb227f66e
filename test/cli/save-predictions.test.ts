/**
 * Issue 16.8: `score --save-predictions`. Everything is recomputed here from the written
 * predictions and the dataset's responses, in plain float64 loops (no brainmap scoring code):
 *  - in-process (float64 predictions): each unit's pooled R² = 1 − Σ_f SSE_f / Σ_f SSE0_f, with
 *    SSE0 against the fold's training mean, equals the reported R² to 1e-9, and every fold's R²
 *    equals 1 − SSE_f/SSE0_f — for a σ grid chosen per fold on validation (the predictions follow
 *    each fold's chosen value);
 *  - from the files (predictions.npy is float32, so 2⁻²⁴ relative rounding: 1e-5): units.csv R²
 *    and folds.csv R² and r recomputed the same way; a banded fit's folds.csv has α and γ per band;
 *    grid.csv's unit R² give score.json's curve (mean over subjects of subject unit means).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateDataset } from '../../src/data/simulate.js';
import type { Dataset } from '../../src/data/dataset.js';
import { getBackend } from '../../src/linalg/index.js';
import { parseCsv } from '../../src/io/csv.js';
import { readNpy } from '../../src/io/npy.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const brainmap = (...args: string[]) => spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root });

/** Per unit (dataset column) and fold: SSE, SSE0 (vs the mean of y over the rows not in the fold, same experiment) and Pearson r. */
function recompute(d: Dataset, pred: ArrayLike<number>, fold: ArrayLike<number>, unit: number) {
  const nU = d.y.cols;
  const exp = d.samples.experiment;
  const folds = new Map<string, { sse: number; sse0: number; r: number }>();
  const keys = new Set<string>();
  for (let i = 0; i < d.y.rows; i++) if (fold[i] >= 0) keys.add(`${exp[i]}\u0000${fold[i]}`);
  for (const key of keys) {
    const [e, fs] = key.split('\u0000');
    const f = Number(fs);
    let sum = 0; let n = 0;
    for (let i = 0; i < d.y.rows; i++) if (exp[i] === e && fold[i] !== f) { sum += d.y.data[i * nU + unit]; n++; }
    const mean = sum / n;
    const ys: number[] = []; const ps: number[] = [];
    for (let i = 0; i < d.y.rows; i++) if (exp[i] === e && fold[i] === f) { ys.push(d.y.data[i * nU + unit]); ps.push(pred[i * nU + unit]); }
    const sse = ys.reduce((a, y, k) => a + (y - ps[k]) ** 2, 0);
    const sse0 = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
    const my = ys.reduce((a, b) => a + b, 0) / ys.length; const mp = ps.reduce((a, b) => a + b, 0) / ps.length;
    let sxy = 0; let sxx = 0; let syy = 0;
    ys.forEach((y, k) => { sxy += (y - my) * (ps[k] - mp); syy += (y - my) ** 2; sxx += (ps[k] - mp) ** 2; });
    folds.set(key, { sse, sse0, r: sxy / Math.sqrt(sxx * syy) });
  }
  const tot = [...folds.values()].reduce((a, v) => ({ sse: a.sse + v.sse, sse0: a.sse0 + v.sse0 }), { sse: 0, sse0: 0 });
  return { pooled: 1 - tot.sse / tot.sse0, folds };
}

test('held-out predictions (float64, in-process) give the reported pooled and per-fold R² to 1e-9, grid chosen per fold', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const s = await scoreSpec(d, 'wp:sigma=1,4.7', { split: 'contiguous', backend: getBackend('auto'), keepPredictions: true });
  const [e] = s.result.experiments;
  const p = e.predictions!;
  const pred = new Float64Array(d.y.rows * d.y.cols).fill(NaN);
  const fold = new Int32Array(d.y.rows).fill(-1);
  for (let i = 0; i < p.rows.length; i++) {
    fold[p.rows[i]] = p.fold[i];
    for (let j = 0; j < e.unitIndex.length; j++) pred[p.rows[i] * d.y.cols + e.unitIndex[j]] = p.data[i * e.unitIndex.length + j];
  }
  assert.ok(new Set(s.grid!.chosen[0].values).size >= 1);
  const nU = e.unitIndex.length;
  for (let j = 0; j < nU; j++) {
    const got = recompute(d, pred, fold, e.unitIndex[j]);
    assert.ok(Math.abs(got.pooled - e.r2[j]) < 1e-9, `unit ${j}: ${got.pooled} vs ${e.r2[j]}`);
    for (let f = 0; f < e.foldSizes.length; f++) {
      const v = got.folds.get(`${e.experiment}\u0000${f}`)!;
      assert.ok(Math.abs((1 - v.sse / v.sse0) - (1 - e.foldSse[f * nU + j] / e.foldSse0[f * nU + j])) < 1e-9);
    }
  }
});

test('score --save-predictions writes predictions.npy, prediction_folds.npy, folds.csv (α, γ for bands) and grid.csv that reproduce units.csv', { timeout: 600_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'brainmap-pred-'));
  const ds = 'sim:fedorenko:units=0.1';
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const grid = brainmap('score', '--dataset', ds, '--features', 'wp:sigma=1,4.7', '--out', join(out, 'grid'), '--save-predictions');
  assert.equal(grid.status, 0, grid.stderr);
  const banded = brainmap('score', '--dataset', ds, '--features', 'wp:sigma=4.7|sl', '--n-iter', '3', '--out', join(out, 'banded'), '--save-predictions');
  assert.equal(banded.status, 0, banded.stderr);
  const noOut = brainmap('score', '--dataset', ds, '--features', 'sl', '--save-predictions');
  assert.equal(noOut.status, 2);
  assert.equal(noOut.stderr, 'error: --save-predictions: needs --out <dir> (where to write predictions.npy and folds.csv)\n');

  for (const kind of ['grid', 'banded']) {
    const dir = join(out, kind);
    const pn = readNpy(join(dir, 'predictions.npy'));
    assert.equal(pn.dtype, '<f4');
    assert.deepEqual(pn.shape, [d.y.rows, d.y.cols]);
    const fn = readNpy(join(dir, 'prediction_folds.npy'));
    assert.deepEqual(fn.shape, [d.y.rows]);
    const pred = pn.data as Float32Array;
    const fold = fn.data as Int32Array;
    const units = parseCsv(readFileSync(join(dir, 'units.csv'), 'utf8'), 'units.csv');
    const ui = (c: string) => units.header.indexOf(c);
    const folds = parseCsv(readFileSync(join(dir, 'folds.csv'), 'utf8'), 'folds.csv');
    const fi = (c: string) => folds.header.indexOf(c);
    assert.deepEqual(folds.header.slice(0, 7), ['experiment', 'fold', 'unit', 'subject', 'r2', 'r', 'alpha']);
    if (kind === 'banded') {
      assert.deepEqual(folds.header.slice(7), ['gamma_1', 'gamma_2']);
      for (const row of folds.rows) assert.ok(Number(row[fi('gamma_1')]) > 0 && Number(row[fi('gamma_2')]) > 0 && Number(row[fi('alpha')]) > 0);
    }
    for (const row of units.rows) {
      const j = d.units.id.indexOf(row[ui('unit')]);
      const got = recompute(d, pred, fold, j);
      assert.ok(Math.abs(got.pooled - Number(row[ui('r2')])) < 1e-5, `${kind} unit ${row[ui('unit')]}: ${got.pooled} vs ${row[ui('r2')]}`);
      for (const fr of folds.rows.filter((x) => x[fi('unit')] === row[ui('unit')])) {
        const v = got.folds.get(`${d.samples.experiment[0]}\u0000${fr[fi('fold')]}`)!;
        assert.ok(Math.abs((1 - v.sse / v.sse0) - Number(fr[fi('r2')])) < 1e-5);
        assert.ok(Math.abs(v.r - Number(fr[fi('r')])) < 1e-5);
      }
    }
  }
  // grid.csv: the curve's R² is the mean over subjects of the subject means of these unit R².
  const score = JSON.parse(readFileSync(join(out, 'grid', 'score.json'), 'utf8')) as { grid: { curve: { value: number; r2: number }[] } };
  const g = parseCsv(readFileSync(join(out, 'grid', 'grid.csv'), 'utf8'), 'grid.csv');
  assert.deepEqual(g.header, ['sigma', 'experiment', 'unit', 'subject', 'r2', 'r']);
  for (const c of score.grid.curve) {
    const rows = g.rows.filter((r) => Number(r[0]) === c.value);
    assert.equal(rows.length, d.y.cols);
    const bySubject = new Map<string, number[]>();
    for (const r of rows) bySubject.set(r[3], [...(bySubject.get(r[3]) ?? []), r[4] === '' ? 0 : Number(r[4])]);
    const means = [...bySubject.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
    assert.ok(Math.abs(means.reduce((a, b) => a + b, 0) / means.length - c.r2) < 1e-12, `σ ${c.value}`);
  }
});
