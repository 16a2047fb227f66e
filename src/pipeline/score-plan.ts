/**
 * What `score` (and `partition`, `audit`, sweeps) check about a dataset before fitting anything,
 * shared with `brainmap inspect` so that inspect reports exactly what a fit will refuse.
 */
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { applyGap, blockIds, planFolds, type OuterFold } from '../regression/splits.js';

/** One experiment, ready to fit: its rows, outer folds (with inner folds) and recorded units. */
export interface ScoringPlan {
  experiment: string;
  /** The dataset's source, with the experiment when there are several (names it in messages). */
  source: string;
  rows: Int32Array;
  folds: OuterFold[];
  /** Units with finite responses on every row of the experiment (columns of y). */
  units: Int32Array;
}

/** Units whose values are finite on every row of the experiment (others were not recorded there). */
export function recordedUnits(y: Matrix64, rows: Int32Array): Int32Array {
  const keep: number[] = [];
  for (let j = 0; j < y.cols; j++) {
    let ok = true;
    for (let k = 0; k < rows.length && ok; k++) ok = Number.isFinite(y.data[rows[k] * y.cols + j]);
    if (ok) keep.push(j);
  }
  return Int32Array.from(keep);
}

/**
 * Folds and units of one experiment (`rows` and `labels` from foldLabels). Throws the InputError
 * a fit reports: too few fold labels or samples for nested cross-validation, no recorded unit.
 * `gap` (samples, `--gap`): training samples within `gap` of a held-out sample of the same block
 * are dropped from outer and inner folds (regression/splits.ts applyGap).
 */
export function planScoring(dataset: Dataset, experiment: string, rows: Int32Array, labels: string[] | Int32Array, gap = 0): ScoringPlan {
  const source = experiment ? `${dataset.source} (experiment ${experiment})` : dataset.source;
  const folds = applyGap(planFolds(dataset.design, labels, source), blockIds(dataset.samples.block, rows), gap, source);
  // Batched responses (dataset.ySource) were checked finite when read: every unit is recorded.
  const units = dataset.ySource ? Int32Array.from({ length: dataset.y.cols }, (_, j) => j) : recordedUnits(dataset.y, rows);
  if (units.length === 0) throw new InputError(`${source}: units: no unit has finite responses on every sample of the experiment`);
  return { experiment, source, rows, folds, units };
}
