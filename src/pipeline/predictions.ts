/**
 * `--save-predictions` (issue 16.8): what a score leaves out of score.json and units.csv.
 *
 *   predictions.npy  dataset samples × dataset units, float32, dataset order: each sample's
 *                    held-out prediction in the units of y (NaN where a unit was not analysed or
 *                    a sample never held out)
 *   prediction_folds.npy  int32 per dataset sample: the outer fold (0-based, as in folds.csv) that
 *                    held it out, −1 where none did
 *   folds.csv        per experiment × outer fold × unit: R² (1 − SSE/SSE₀ on the fold) and r of the
 *                    fold, the chosen α and, for a banded ridge, each band's weight γ
 *   grid.csv         with a grid: per grid value × unit, R² and r of that value fitted alone
 */
import { join } from 'node:path';
import { encodeNpy } from '../io/npy.js';
import { csvCell, experimentCell, writeFileAtomic } from './results.js';
import type { SpecScore } from './score-spec.js';
import type { ScoreResult } from './score.js';

/** Held-out predictions as a dataset-shaped samples × units float32 matrix (row-major), NaN where none. */
export function predictionMatrix(result: ScoreResult, nSamples: number, nUnits: number): Float32Array {
  const out = new Float32Array(nSamples * nUnits).fill(NaN);
  for (const e of result.experiments) {
    const p = e.predictions;
    if (!p) throw new Error('predictionMatrix: the score was computed without keepPredictions');
    const nU = e.unitIndex.length;
    for (let i = 0; i < p.rows.length; i++) {
      for (let j = 0; j < nU; j++) out[p.rows[i] * nUnits + e.unitIndex[j]] = p.data[i * nU + j];
    }
  }
  return out;
}

/** The outer fold that held out each dataset sample (−1: none). */
export function predictionFolds(result: ScoreResult, nSamples: number): Int32Array {
  const out = new Int32Array(nSamples).fill(-1);
  for (const e of result.experiments) {
    const p = e.predictions;
    if (!p) throw new Error('predictionFolds: the score was computed without keepPredictions');
    for (let i = 0; i < p.rows.length; i++) out[p.rows[i]] = p.fold[i];
  }
  return out;
}

/** folds.csv: experiment, fold, unit, subject, r2, r, alpha (and gamma_1 … gamma_B for banded fits). */
export function foldsCsv(result: ScoreResult): string {
  const nB = Math.max(...result.experiments.map((e) => (e.gamma ? e.bandSizes.length : 0)), 0);
  const lines = [['experiment', 'fold', 'unit', 'subject', 'r2', 'r', 'alpha', ...Array.from({ length: nB }, (_, b) => `gamma_${b + 1}`)].join(',')];
  for (const e of result.experiments) {
    const nU = e.unitIds.length;
    for (let f = 0; f < e.foldSizes.length; f++) {
      for (let j = 0; j < nU; j++) {
        const k = f * nU + j;
        const r2 = e.foldSse0[k] > 0 ? 1 - e.foldSse[k] / e.foldSse0[k] : NaN;
        const gamma = Array.from({ length: nB }, (_, b) => (e.gamma && b < e.bandSizes.length ? e.gamma[k * e.bandSizes.length + b] : NaN));
        lines.push([experimentCell(e.experiment), f, e.unitIds[j], e.subjects[j], r2, e.foldR[k], e.alpha[k], ...gamma].map(csvCell).join(','));
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** grid.csv: param value, experiment, unit, subject, r2, r of every grid value fitted alone. */
export function gridUnitsCsv(scored: SpecScore): string | null {
  if (!scored.grid || !scored.gridFits) return null;
  const lines = [`${scored.grid.axis.param},experiment,unit,subject,r2,r`];
  scored.gridFits.forEach((fit, v) => {
    for (const e of fit.experiments) {
      e.unitIds.forEach((id, j) => lines.push([scored.grid!.axis.values[v], experimentCell(e.experiment), id, e.subjects[j], e.r2[j], e.r[j]].map(csvCell).join(',')));
    }
  });
  return lines.join('\n') + '\n';
}

/** Writes predictions.npy, folds.csv and (with a grid) grid.csv under `dir`; returns the file names. */
export function writePredictions(dir: string, scored: SpecScore, shape: { samples: number; units: number }): string[] {
  const files = ['predictions.npy', 'prediction_folds.npy', 'folds.csv'];
  writeFileAtomic(join(dir, 'predictions.npy'), encodeNpy(predictionMatrix(scored.result, shape.samples, shape.units), [shape.samples, shape.units]));
  writeFileAtomic(join(dir, 'prediction_folds.npy'), encodeNpy(predictionFolds(scored.result, shape.samples), [shape.samples]));
  writeFileAtomic(join(dir, 'folds.csv'), foldsCsv(scored.result));
  const grid = gridUnitsCsv(scored);
  if (grid !== null) { writeFileAtomic(join(dir, 'grid.csv'), grid); files.push('grid.csv'); }
  return files;
}
