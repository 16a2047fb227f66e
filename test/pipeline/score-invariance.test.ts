/**
 * r and R² do not depend on the units of y (METHODS §5.2–5.3): the real Fedorenko2016 assembly
 * written as a dataset folder with y, y + 1e6, y × 1e-20 and y × 1e40 scores the same per unit; a
 * constant prediction has an undefined r (NaN), counted and reported, never a silent 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/io/dataset.js';
import { readMatrixNpy, writeNpy } from '../../src/io/npy.js';
import { getBackend } from '../../src/linalg/index.js';
import { oasm } from '../../src/features/oasm.js';
import { scoreFeatures, type ScoreResult } from '../../src/pipeline/score.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { Estimator } from '../../src/regression/ridge.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ncPath = `${root}../shared/data/fedorenko2016/fedorenko2016.nc`;

/** Writes y (n × m, float64) with the samples' blocks and 4 fold labels of 104 rows (13 sentences) as a dataset folder. */
function writeFolder(dir: string, y: Float64Array, ds: Dataset): void {
  mkdirSync(dir, { recursive: true });
  writeNpy(join(dir, 'y.npy'), y, [ds.y.rows, ds.y.cols]);
  const lines = ['block,fold', ...ds.samples.block.map((b, i) => `${b},f${Math.floor(i / 104)}`)];
  writeFileSync(join(dir, 'samples.csv'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'units.csv'), ['id,subject', ...ds.units.id.map((id, j) => `${id},${ds.units.subject[j]}`)].join('\n') + '\n');
}

test('Fedorenko2016 as a folder: y + 1e6, y × 1e-20 and y × 1e40 give the same per-unit r and R² as y (to 1e-9), ridge and OLS', async () => {
  const nc = await loadDataset(ncPath);
  const tmp = mkdtempSync(join(tmpdir(), 'brainmap-invariance-'));
  try {
    const variants: Array<[string, (v: number) => number]> = [['y', (v) => v], ['y+1e6', (v) => v + 1e6], ['y*1e-20', (v) => v * 1e-20], ['y*1e40', (v) => v * 1e40]];
    const backend = getBackend('auto');
    for (const estimator of ['ridge', 'ols'] as Estimator[]) {
      let ref: ScoreResult | null = null;
      for (const [name, f] of variants) {
        const dir = join(tmp, `${estimator}-${name}`);
        writeFolder(dir, nc.y.data.map(f), nc);
        const d = await loadDataset(dir);
        const x = oasm(d.samples.block, d.y.rows, 1.8);
        const res = await scoreFeatures(d, x, { split: 'shuffled', estimator, backend });
        const e = res.experiments[0];
        assert.equal(e.unitIds.length, 97);
        assert.equal(res.nConstantUnits, 0, `${estimator} ${name}: no unit is constant`);
        assert.equal(res.nUndefinedR, 0, `${estimator} ${name}: r is defined for every unit`);
        if (!ref) { ref = res; continue; }
        const r0 = ref.experiments[0];
        // r ∈ [−1, 1] and R² ≤ 1: differences relative to max(1, |value|).
        for (let j = 0; j < 97; j++) {
          assert.ok(Math.abs(e.r[j] - r0.r[j]) <= 1e-9 * Math.max(1, Math.abs(r0.r[j])), `${estimator} ${name} unit ${j}: r ${e.r[j]} vs ${r0.r[j]}`);
          assert.ok(Math.abs(e.r2[j] - r0.r2[j]) <= 1e-9 * Math.max(1, Math.abs(r0.r2[j])), `${estimator} ${name} unit ${j}: R² ${e.r2[j]} vs ${r0.r2[j]}`);
        }
        assert.ok(Math.abs(res.r.mean - ref.r.mean) <= 1e-9 && Math.abs(res.r2.mean - ref.r2.mean) <= 1e-9, `${estimator} ${name}: dataset values`);
      }
      assert.ok(ref!.r.mean > 0.1, `${estimator}: OASM on shuffled folds predicts (r ${ref!.r.mean})`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** 40 samples in 4 blocks (= folds); unit 0 follows the features, unit 1 is the constant 2. */
function smallFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const n = 40;
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[i * 2] = Math.sin(1.3 * i);
    x[i * 2 + 1] = Math.cos(0.7 * i * i);
    y[i * 2] = x[i * 2] - 0.5 * x[i * 2 + 1] + 0.3 * Math.sin(5.1 * i + 1);
    y[i * 2 + 1] = 2;
  }
  writeNpy(join(dir, 'y.npy'), y, [n, 2]);
  writeNpy(join(dir, 'x.npy'), x, [n, 2]);
  writeFileSync(join(dir, 'samples.csv'), ['block', ...Array.from({ length: n }, (_, i) => `b${Math.floor(i / 10)}`)].join('\n') + '\n');
}

test('constant predictions: r undefined (NaN) and counted, R² of a constant prediction 0; --compat paper counts such r as 0', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'brainmap-undefined-r-'));
  try {
    smallFolder(tmp);
    const d = await loadDataset(tmp);
    const backend = getBackend('auto');
    // Constant features: every prediction is the training mean, so r has nothing to correlate.
    const flat = { rows: 40, cols: 1, data: new Float64Array(40).fill(3) };
    const none = await scoreFeatures(d, flat, { split: 'contiguous', backend });
    const e = none.experiments[0];
    assert.ok(Number.isNaN(e.r[0]) && Number.isNaN(e.r[1]), `r ${Array.from(e.r)}`);
    assert.ok(Array.from(e.foldR).every((v) => Number.isNaN(v)));
    assert.equal(e.r2[0], 0, 'predicting the training mean: SSE = SSE0, R² = 0');
    assert.ok(Number.isNaN(e.r2[1]), 'the constant unit has no R² either');
    assert.equal(none.nUndefinedR, 2);
    assert.equal(none.nConstantUnits, 1);
    assert.ok(Number.isNaN(none.r.mean), 'no unit has an r: the dataset r is undefined, not 0');
    assert.equal(none.r.subjects[0].nUndefined, 2);
    const paper = await scoreFeatures(d, flat, { split: 'contiguous', backend, compat: 'paper' });
    assert.deepEqual(Array.from(paper.experiments[0].r), [0, 0]);
    assert.equal(paper.r.mean, 0);
    assert.equal(paper.nUndefinedR, 0);

    // Informative features: unit 0's r is defined; the subject mean of r is over that unit only
    // (the paper's rule counts the constant unit as 0: half of it).
    const x = readMatrixNpy(join(tmp, 'x.npy'), { field: 'x' });
    const honest = await scoreFeatures(d, x, { split: 'contiguous', backend });
    const r0 = honest.experiments[0].r[0];
    assert.ok(r0 > 0.5, `unit 0 r ${r0}`);
    assert.ok(Number.isNaN(honest.experiments[0].r[1]));
    assert.equal(honest.nUndefinedR, 1);
    assert.ok(Math.abs(honest.r.mean - r0) < 1e-15);
    // (inner z-scoring kept so that only the r rule differs from the default)
    const published = await scoreFeatures(d, x, { split: 'contiguous', backend, compat: 'paper', innerStandardize: true });
    assert.ok(Math.abs(published.r.mean - r0 / 2) < 1e-12, `paper mean ${published.r.mean} vs ${r0 / 2}`);

    // The CLI says so in the table and in score.json.
    const out = join(tmp, 'out');
    const cli = spawnSync(process.execPath, [...cliEntry(), 'score', '--dataset', tmp, '--features', `file:${join(tmp, 'x.npy')}`, '--out', out], { encoding: 'utf8', cwd: root });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /note: r is undefined for 1 unit\(s\) \(a constant prediction or constant responses on a test fold\); left out of the subject means of r/);
    const json = JSON.parse(readFileSync(join(out, 'score.json'), 'utf8')) as { n_undefined_r: number; subjects: { n_undefined_r: number }[] };
    assert.equal(json.n_undefined_r, 1);
    assert.equal(json.subjects[0].n_undefined_r, 1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
